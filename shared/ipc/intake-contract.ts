import { z } from 'zod';
import { event, method } from './method';

export const INTAKE_CHANNELS = ['hl7-mllp', 'dicom', 'devices', 'file-import'] as const;

export const ListenerStatusSchema = z.strictObject({
  channel: z.enum(INTAKE_CHANNELS),
  state: z.enum(['closed', 'listening', 'error']),
  /** Why a listener is closed or failed, in words for the intake monitor. */
  reason: z.string().max(500).optional(),
  address: z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
});
export type ListenerStatus = Readonly<z.infer<typeof ListenerStatusSchema>>;

export const IntakeStatusSchema = z.strictObject({
  listeners: z.array(ListenerStatusSchema),
});
export type IntakeStatus = Readonly<z.infer<typeof IntakeStatusSchema>>;

export const intakeMethods = {
  'intake.status': method(z.strictObject({}), IntakeStatusSchema),
} as const;

export const intakeEvents = {
  'intake.statusChanged': event(IntakeStatusSchema),
} as const;
