import type { MembersAction } from '../cli/server-args';
import type { MemberRecord } from '../doorman/membership-service';

/**
 * What a members command answers, and how the CLI prints it. Kept apart from the database code so
 * the CLI can print an answer from the admin socket without loading the server.
 */
export type MembersResult =
  | { readonly ok: true; readonly members: readonly MemberRecord[] }
  | { readonly ok: true; readonly member: MemberRecord }
  | { readonly ok: false; readonly message: string };

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
