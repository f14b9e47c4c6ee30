/**
 * User management for admins: list, create, change role, disable, reset a password, delete.
 * Disabling, deleting or resetting ends the user's sessions at once; their API tokens stop working
 * because every token check reads the user. The last enabled admin cannot be disabled, demoted or
 * deleted — nobody could manage the gateway afterwards.
 */
import type { User, UserCreate, UserPatch } from '@packetpilot/protocol';
import { AppError } from '../errors.js';
import type { AuthService } from './service.js';
import type { UserRecord, UserStore } from './store.js';

export type UserAdminRepo = Pick<
  UserStore,
  'list' | 'get' | 'setRole' | 'setDisabled' | 'delete' | 'countEnabledAdmins'
>;

export function toWireUser(u: UserRecord): User {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    disabled: u.disabled,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

const lastAdmin = () =>
  new AppError('PP_E_CONFLICT', 'the last enabled admin cannot be disabled, demoted or deleted');

export class UserService {
  /** Changes run one at a time, so two requests cannot each remove "the other" last admin. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly users: UserAdminRepo,
    private readonly auth: Pick<AuthService, 'createUser' | 'resetPassword' | 'endSessions'>,
  ) {}

  async list(): Promise<User[]> {
    return (await this.users.list()).map(toWireUser);
  }

  async get(id: number): Promise<User> {
    return toWireUser(await this.#mustGet(id));
  }

  async create(input: UserCreate): Promise<User> {
    return this.#serial(async () => {
      const created = await this.auth.createUser(input.username, input.password, input.role);
      return toWireUser(await this.#mustGet(created.id));
    });
  }

  /** Returns the user before and after; `passwordReset` says whether the password was set. */
  async update(id: number, patch: UserPatch): Promise<{ before: User; after: User; passwordReset: boolean }> {
    return this.#serial(async () => {
      const before = await this.#mustGet(id);
      const losesAdmin =
        before.role === 'admin' &&
        !before.disabled &&
        ((patch.role !== undefined && patch.role !== 'admin') || patch.disabled === true);
      if (losesAdmin && (await this.users.countEnabledAdmins()) <= 1) throw lastAdmin();
      if (patch.password !== undefined) await this.auth.resetPassword(id, patch.password);
      if (patch.role !== undefined && patch.role !== before.role) await this.users.setRole(id, patch.role);
      if (patch.disabled !== undefined && patch.disabled !== before.disabled) {
        await this.users.setDisabled(id, patch.disabled);
        if (patch.disabled) await this.auth.endSessions(id);
      }
      const after = await this.#mustGet(id);
      return {
        before: toWireUser(before),
        after: toWireUser(after),
        passwordReset: patch.password !== undefined,
      };
    });
  }

  /** Returns the user as it was. Its sessions and tokens go with it. */
  async delete(id: number): Promise<User> {
    return this.#serial(async () => {
      const before = await this.#mustGet(id);
      if (before.role === 'admin' && !before.disabled && (await this.users.countEnabledAdmins()) <= 1) {
        throw lastAdmin();
      }
      await this.auth.endSessions(id);
      if (!(await this.users.delete(id))) throw new AppError('PP_E_NOT_FOUND', `user ${id} not found`);
      return toWireUser(before);
    });
  }

  async #mustGet(id: number): Promise<UserRecord> {
    const user = await this.users.get(id);
    if (!user) throw new AppError('PP_E_NOT_FOUND', `user ${id} not found`);
    return user;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
