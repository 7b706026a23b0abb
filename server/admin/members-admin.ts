import type { MembersAction } from '../cli/server-args';
import { MembershipError, type MembershipService } from '../doorman/membership-service';
import type { MembersResult } from './members-output';

/**
 * The operator's member commands (`npm run server -- members …`), run against a MembershipService:
 * directly on the database (PostgreSQL, or PGlite when no server has the folder open) or inside the
 * running server through its admin socket. Both give back one result shape (members-output.ts).
 */

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
