/**
 * Every error a user can see has a stable code listed here, with the HTTP status the API
 * answers and the CLI exit code. Codes never change meaning once released; add new ones.
 */
export const errorCodes = {
  PGF_CONFIG_INVALID: { status: 500, exit: 2, summary: 'One or more configuration variables are invalid.' },
  PGF_SCHEMA_NOT_CURRENT: { status: 503, exit: 2, summary: 'The metadata store is empty or behind the code; run `pgferry db upgrade`.' },
  PGF_STORE_UNREACHABLE: { status: 503, exit: 3, summary: 'The metadata store database cannot be reached.' },
  PGF_EMBEDDED_POSTGRES_FAILED: { status: 500, exit: 3, summary: 'The embedded PostgreSQL server could not be started or stopped.' },
  PGF_MIGRATION_FAILED: { status: 500, exit: 1, summary: 'A store migration failed and was rolled back.' },
  PGF_MIGRATION_NOT_FOUND: { status: 400, exit: 2, summary: 'The named migration does not exist.' },
  PGF_VALIDATION_FAILED: { status: 400, exit: 2, summary: 'The request or command input is invalid.' },
  PGF_NOT_FOUND: { status: 404, exit: 4, summary: 'The requested resource does not exist.' },
  PGF_ROUTE_NOT_FOUND: { status: 404, exit: 4, summary: 'No API route matches the method and path.' },
  PGF_CONFLICT: { status: 409, exit: 5, summary: 'The request conflicts with the current state of a resource.' },
  PGF_SECRET_UNREADABLE: { status: 500, exit: 1, summary: 'A stored secret is not in a known format.' },
  PGF_SECRET_KEY_MISMATCH: { status: 500, exit: 2, summary: 'Stored secrets were encrypted with a different key than the configured one.' },
  PGF_SECRET_TAMPERED: { status: 500, exit: 1, summary: 'A stored secret failed authentication (altered or corrupted).' },
  PGF_UNAUTHENTICATED: { status: 401, exit: 8, summary: 'No valid session or API token; log in or pass `Authorization: Bearer <token>`.' },
  PGF_LOGIN_FAILED: { status: 401, exit: 8, summary: 'The username or password is wrong, or the user is disabled.' },
  PGF_FORBIDDEN: { status: 403, exit: 9, summary: 'The caller\'s role may not do this; ask an admin for a higher role.' },
  PGF_CSRF_FAILED: { status: 403, exit: 9, summary: 'A cookie-authenticated change lacks the X-CSRF-Token header matching the session.' },
  PGF_RATE_LIMITED: { status: 429, exit: 10, summary: 'Too many failed logins from this address or for this user; wait for Retry-After seconds.' },
  PGF_SERVER_UNREACHABLE: { status: 502, exit: 3, summary: 'The CLI cannot reach the pgferry server given by --server / PGFERRY_SERVER, or it did not answer like one.' },
  PGF_COMPARE_QUERY_FAILED: { status: 500, exit: 1, summary: 'A checksum query of verify or diff failed on one database; the message names the table, the side and the server\'s reason.' },
  PGF_CONNECTION_HOST_NOT_FOUND: { status: 502, exit: 3, summary: 'The connection\'s host name does not resolve (DNS).' },
  PGF_CONNECTION_HOST_UNREACHABLE: { status: 502, exit: 3, summary: 'No network route to the connection\'s host.' },
  PGF_CONNECTION_REFUSED: { status: 502, exit: 3, summary: 'Nothing accepts connections on the connection\'s host and port.' },
  PGF_CONNECTION_TIMEOUT: { status: 504, exit: 3, summary: 'The database server did not answer within the connect timeout.' },
  PGF_CONNECTION_AUTH_FAILED: { status: 502, exit: 3, summary: 'The database server rejected the connection\'s user or password.' },
  PGF_CONNECTION_DATABASE_NOT_FOUND: { status: 502, exit: 3, summary: 'The connection\'s database does not exist on the server.' },
  PGF_CONNECTION_SSL_REQUIRED: { status: 502, exit: 3, summary: 'The server only accepts SSL connections; sslmode must allow SSL.' },
  PGF_CONNECTION_SSL_REFUSED: { status: 502, exit: 3, summary: 'The server does not support SSL, or its certificate failed verification.' },
  PGF_CONNECTION_TOO_MANY: { status: 503, exit: 3, summary: 'The server (or the role) has no connection slot left.' },
  PGF_CONNECTION_PRIVILEGE: { status: 502, exit: 3, summary: 'The connection\'s role lacks a privilege it needs (e.g. CONNECT on the database).' },
  PGF_CONNECTION_FAILED: { status: 502, exit: 3, summary: 'The database server could not be reached or refused the session for another reason.' },
  PGF_INTERNAL: { status: 500, exit: 1, summary: 'An unexpected error; the server log has the details under the request id.' },
} as const;

export type ErrorCode = keyof typeof errorCodes;
