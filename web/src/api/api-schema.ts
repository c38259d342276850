import type { paths } from './openapi.gen.js';

// Types of the API's requests and answers, read from the generated OpenAPI types
// (`npm run web:api-types`), so the UI follows the server's schemas instead of a hand copy.

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type JsonOf<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

/** The JSON answer of `method path` with HTTP status `status` (default 200). */
export type ApiAnswer<Path extends keyof paths, M extends Method, Status extends number = 200> = paths[Path][M] extends { responses: infer Responses }
  ? Status extends keyof Responses
    ? JsonOf<Responses[Status]>
    : never
  : never;

/** The query parameters `method path` takes. */
export type ApiQuery<Path extends keyof paths, M extends Method> = paths[Path][M] extends { parameters: { query?: infer Query } } ? NonNullable<Query> : never;

/** The JSON body `method path` takes. */
export type ApiBody<Path extends keyof paths, M extends Method> = paths[Path][M] extends { requestBody?: infer Body } ? JsonOf<NonNullable<Body>> : never;

/**
 * The members of the schema's enum `T` as a list, in the order given (`everyOf<SyncMode>()(['full', …])`):
 * a list that leaves one out, say after the server adds a member, fails the build.
 */
export function everyOf<T>() {
  return <const List extends readonly T[]>(list: List & ([Exclude<T, List[number]>] extends [never] ? unknown : { missing: Exclude<T, List[number]> })): List =>
    list;
}

/** Whether `value` (read from a select or a URL) is one of `list`. */
export function isOneOf<T>(list: readonly T[], value: unknown): value is T {
  return (list as readonly unknown[]).includes(value);
}
