import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/http';
import { useSubmit } from './useSubmit';

describe('useSubmit', () => {
  it('is busy while the action runs and ignores a second submit meanwhile', async () => {
    let calls = 0;
    let finish!: () => void;
    const form = useSubmit(async () => {
      calls++;
      await new Promise<void>((resolve) => (finish = resolve));
    });
    const first = form.submit();
    expect(form.busy.value).toBe(true);
    await form.submit();
    expect(calls).toBe(1);
    finish();
    await first;
    expect(form.busy.value).toBe(false);
    expect(form.error.value).toBe('');
  });

  it('shows why it failed, and clears the reason on the next try', async () => {
    let fail = true;
    const form = useSubmit(async (what: string) => {
      if (fail) throw new Error(`${what}: the passwords differ`);
    });
    await form.submit('check');
    expect(form.error.value).toBe('check: the passwords differ');
    expect(form.busy.value).toBe(false);
    fail = false;
    await form.submit('check');
    expect(form.error.value).toBe('');
  });

  it('says "Not allowed" for a 403 from the API', async () => {
    const form = useSubmit(async () => {
      throw new ApiError(403, 'PP_E_FORBIDDEN', 'admins only');
    });
    await form.submit();
    expect(form.error.value).toBe('Not allowed: admins only');
  });
});
