export const ROLES = ['VIEWER', 'OPERATOR', 'ADMIN', 'SUPERADMIN'] as const;
export type Role = (typeof ROLES)[number];

export interface AuthUser {
  sub: string;
  /** Every role the user holds, the implied lower ones included. */
  roles: Role[];
}

/** A higher role includes every lower one. */
export function expandRoles(granted: Role[]): Role[] {
  const top = Math.max(-1, ...granted.map((role) => ROLES.indexOf(role)));
  return ROLES.slice(0, top + 1);
}

export function hasRole(user: AuthUser | null, role: Role): boolean {
  return user !== null && user.roles.includes(role);
}

/** Parses the `roles` claim: an array of lower-case role names, nothing else. */
export function parseRolesClaim(claim: unknown): Role[] | null {
  if (!Array.isArray(claim)) return null;
  const roles: Role[] = [];
  for (const item of claim) {
    if (typeof item !== 'string' || item !== item.toLowerCase()) return null;
    const role = item.toUpperCase() as Role;
    if (!ROLES.includes(role)) return null;
    roles.push(role);
  }
  return expandRoles(roles);
}
