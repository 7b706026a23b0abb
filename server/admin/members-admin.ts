import type { MembersAction } from '../cli/server-args';
import { MembershipError, type MemberRecord, type MembershipService } from '../doorman/membership-service';

/**
 * The operator's member commands (`npm run server -- members …`), run against a MembershipService:
 * directly on the database (PostgreSQL, or PGlite when no server has the folder open) or inside the
 * running server through its admin socket. Both give back this one result shape.
 */
export type MembersResult =
  | { readonly ok: true; readonly members: readonly MemberRecord[] }
  | { readonly ok: true; readonly member: MemberRecord }
  | { readonly ok: false; readonly message: string };

export async function runMembersAction(service: MembershipService, action: MembersAction, address: string | null): Promise<MembersResult> {
  try {
    switch (action) {
      case 'list':
        return { ok: true, members: await service.list() };
      case 'approve':
        return { ok: true, member: await service.approve(address!) };
      case 'reject':
        return { ok: true, member: await service.reject(address!) };
      case 'revoke':
        return { ok: true, member: await service.revoke(address!) };
    }
  } catch (error) {
    if (error instanceof MembershipError) return { ok: false, message: error.message };
    throw error;
  }
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

/** The lines the CLI prints for a result. */
export function formatMembersResult(action: MembersAction, result: MembersResult, json: boolean): string[] {
  if (!result.ok) return [result.message];
  if ('members' in result) {
    if (json) return result.members.map((member) => JSON.stringify(member));
    if (result.members.length === 0) return ['no join requests yet'];
    return result.members.map((member) => [member.status.padEnd(8), member.address, member.country, member.roles.join(',').padEnd(22), iso(member.requestedAt), member.legalName].join('  '));
  }
  const member = result.member;
  const done = { list: 'listed', approve: 'approved', reject: 'rejected', revoke: 'revoked' }[action];
  return [`${done} ${member.address} (${member.legalName}, ${member.country})${member.serial !== null && action === 'approve' ? `: certificate serial ${member.serial}` : ''}`];
}
