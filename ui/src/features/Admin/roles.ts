import type { Role } from '@packetpilot/protocol';

/** The roles with what each may do, for pickers (users, tokens). */
export const ROLES: Array<{ value: Role; label: string; description: string }> = [
  { value: 'viewer', label: 'Viewer', description: 'sees devices, usage, rules and logs; changes nothing' },
  { value: 'operator', label: 'Operator', description: 'also renames and pauses devices and manages rules' },
  {
    value: 'admin',
    label: 'Admin',
    description: 'also manages users, agents and settings and reads the audit log',
  },
];
