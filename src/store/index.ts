/** The Redis store (SPEC section 9): what of a node survives its process. See docs/durability.md. */
export { createRedisStore, StoreOptionsError, type RedisStore, type RedisStoreOptions } from './redisStore';
export { NodeIdInUseError } from './lease';
export { DEFAULT_LEASE_MS, DEFAULT_PREFIX } from './options';
