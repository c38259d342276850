import { cutover } from '../../engine/follow/cutover.js';
import { dropFollow } from '../../engine/follow/drop-follow.js';
import { followStatus } from '../../engine/follow/follow-status.js';
import { follow } from '../../engine/follow/run-follow.js';

/** The continuous-sync engine as the worker, the API and the CLI call it. */
export interface FollowEngine {
  follow: typeof follow;
  followStatus: typeof followStatus;
  dropFollow: typeof dropFollow;
  cutover: typeof cutover;
}

export const followEngine: FollowEngine = { follow, followStatus, dropFollow, cutover };
