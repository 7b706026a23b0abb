import { stat } from 'node:fs/promises';
import { SerialPort } from 'serialport';
import type { SerialSettings } from '../../../shared/ipc/devices-contract';
import type { DeviceLink } from './device-session';

export interface SerialPortInfo {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

export interface SerialLinkEvents {
  opened(): void;
  data(chunk: Uint8Array): void;
  /** The port closed: unplugged, an I/O error, or closed on purpose (the reason says which, no PHI). */
  closed(reason: string): void;
}

const clip = (value: string | undefined, max: number) => (value === undefined || value === '' ? undefined : value.slice(0, max));

/**
 * The serial ports the OS lists. Listing can fail where opening still works (in a container
 * without udev `udevadm` is missing): the error is returned in words, and ports can still be
 * added by path.
 */
export async function listSerialPorts(): Promise<{ ports: SerialPortInfo[]; error?: string }> {
  try {
    const listed = await SerialPort.list();
    return {
      ports: listed.slice(0, 256).map((p) => {
        const info: SerialPortInfo = { path: p.path.slice(0, 200) };
        const manufacturer = clip(p.manufacturer, 200);
        const serialNumber = clip(p.serialNumber, 200);
        const vendorId = clip(p.vendorId, 16);
        const productId = clip(p.productId, 16);
        if (manufacturer !== undefined) info.manufacturer = manufacturer;
        if (serialNumber !== undefined) info.serialNumber = serialNumber;
        if (vendorId !== undefined) info.vendorId = vendorId;
        if (productId !== undefined) info.productId = productId;
        return info;
      }),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ports: [], error: `The operating system did not list serial ports (${message.slice(0, 200)}). A port can still be added by its path.` };
  }
}

/**
 * Whether a port's path is there now (hot-plug). A device node or a pty link is a path to stat (a
 * dangling link of a dead pty is absent); Windows' COM names are not files, so they are looked
 * up in the OS's list.
 */
export async function serialPortPresent(path: string): Promise<boolean> {
  if (process.platform === 'win32') {
    const name = path.replace(/^\\\\\.\\/, '').toUpperCase(); // \\.\COM10 → COM10
    const listed = await SerialPort.list().catch(() => []);
    return listed.some((p) => p.path.toUpperCase() === name);
  }
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Opens a serial port with its line settings, asserts DTR/RTS, and reports data and closing. */
export function openSerialLink(path: string, settings: SerialSettings, events: SerialLinkEvents): DeviceLink {
  let closedOnPurpose = false;
  let reported = false;
  const report = (reason: string) => {
    if (reported) return;
    reported = true;
    events.closed(reason);
  };
  const port = new SerialPort({ path, baudRate: settings.baudRate, dataBits: settings.dataBits, parity: settings.parity, stopBits: settings.stopBits, autoOpen: false });
  port.on('data', (chunk: Buffer) => events.data(chunk));
  port.on('close', (error: (Error & { disconnected?: boolean }) | null) => {
    report(closedOnPurpose ? 'Closed.' : error?.disconnected ? 'The device or cable was disconnected.' : 'The port closed.');
  });
  port.on('error', (error: Error & { code?: string }) => {
    // A USB-serial adapter pulled out, or the far end of a pty gone: the OS reports an I/O error.
    if (/\b(EIO|ENXIO|ENODEV)\b/.test(`${error.code ?? ''} ${error.message}`)) {
      report('The device or cable was disconnected (I/O error on the port).');
      if (port.isOpen) port.close(() => undefined);
    } else if (!port.isOpen) report(`The port could not be used: ${error.message.slice(0, 200)}`);
  });
  port.open((error) => {
    if (error) {
      report(`The port could not be opened: ${error.message.slice(0, 200)}`);
      return;
    }
    port.set({ dtr: settings.dtr, rts: settings.rts }, () => {
      // Some pseudo-terminals do not support the modem lines; the port works without them.
      events.opened();
    });
  });
  return {
    name: `serial:${path}`,
    write: (bytes) => {
      if (port.isOpen) port.write(Buffer.from(bytes));
    },
    close: () => {
      closedOnPurpose = true;
      if (port.isOpen) port.close(() => report('Closed.'));
      else report('Closed.');
    },
  };
}
