/** Key prefixes for a Redis Cluster (no ioredis import: config.ts reads this). */

/**
 * The key prefix for a cluster: wrapped in a hash tag ("backserv:" → "{backserv}:") unless it
 * has one, so every key of the deployment maps to the same slot.
 */
export function clusterPrefix(prefix: string): string {
  if (/\{[^}]+\}/.test(prefix)) return prefix;
  const stem = prefix.replace(/:+$/, '') || 'backserv';
  return `{${stem}}:`;
}
