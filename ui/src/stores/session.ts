import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Me } from '@packetpilot/protocol';
import { ApiError, api, http } from '@/api';
import { CSRF_COOKIE, readCookie } from '@/api/http';
import { allows, type Level } from './access';

/**
 * A hint that a session may exist, so a fresh browser goes straight to the login page without a
 * failing /auth/me request. The session itself is the HttpOnly cookie the gateway set.
 */
const HINT_KEY = 'pp.session';

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export const useSessionStore = defineStore('session', () => {
  const user = ref<Me | null>(null);
  const checked = ref(false);
  /** Set when the gateway ended the session (shown on the login page). */
  const expired = ref(false);
  let pending: Promise<Me | null> | null = null;

  const role = computed(() => user.value?.role ?? null);
  const can = (level: Level) => allows(role.value, level);

  function mayHaveSession(): boolean {
    const cookies = typeof document === 'undefined' ? '' : document.cookie;
    return readCookie(cookies, CSRF_COOKIE) !== null || storage()?.getItem(HINT_KEY) === '1';
  }

  /** Who is logged in, asking the gateway once per page load. */
  function ensure(): Promise<Me | null> {
    if (checked.value) return Promise.resolve(user.value);
    if (!mayHaveSession()) {
      checked.value = true;
      return Promise.resolve(null);
    }
    pending ??= api
      .me()
      .then((me) => {
        user.value = me;
        return me;
      })
      .catch((err: unknown) => {
        if (!(err instanceof ApiError) || err.status !== 401) throw err;
        forget();
        return null;
      })
      .finally(() => {
        checked.value = true;
        pending = null;
      });
    return pending;
  }

  async function login(username: string, password: string): Promise<Me> {
    const reply = await api.login({ username, password });
    const withCsrf = reply as typeof reply & { csrfToken?: string };
    http.csrfFallback = withCsrf.csrfToken ?? null;
    user.value = reply.user;
    checked.value = true;
    expired.value = false;
    storage()?.setItem(HINT_KEY, '1');
    return reply.user;
  }

  async function logout(): Promise<void> {
    try {
      await api.logout();
    } finally {
      forget();
    }
  }

  /** The gateway answered 401: the session is over. */
  function sessionEnded(): void {
    if (user.value) expired.value = true;
    forget();
  }

  function forget(): void {
    user.value = null;
    checked.value = true;
    http.csrfFallback = null;
    storage()?.removeItem(HINT_KEY);
  }

  return { user, role, checked, expired, can, ensure, login, logout, sessionEnded };
});
