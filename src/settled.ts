/**
 * An options bag after its defaults are filled in: every property present and none `undefined`.
 *
 * Options bags accept `undefined` for any optional property (`name?: T | undefined`), so a caller
 * can pass its own optional value straight through; the callee settles each one with `??` and
 * types the result as `Settled<Options>`.
 */
export type Settled<T> = { readonly [K in keyof T]-?: Exclude<T[K], undefined> };
