import { createContext, useContext } from 'react';

import { type Me, type Role, hasRole } from '../api/auth.js';

export const MeContext = createContext<Me | null>(null);

/** Whether the signed-in user may do what needs `role`; viewers see no edit buttons. */
export function useCan(role: Role): boolean {
  return hasRole(useContext(MeContext), role);
}
