/** Reading bounded integers from the environment, with a message that names the variable. */
export type Env = Record<string, string | undefined>;

export function envInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new TypeError(`${name} must be an integer in [${min}, ${max}] (got "${raw}")`);
  }
  return n;
}
