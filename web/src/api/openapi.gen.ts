// Generated from /api/v1/openapi.json by `npm run web:api-types`; do not edit.
// The web UI's request and answer types come from here, so they follow the server's schemas.

export interface paths {
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process is up */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ok";
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: the metadata store answers and its migrations are current */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ready";
                            migration: string | null;
                        };
                    };
                };
                /** @description Error */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics: runs, rows and bytes copied, durations, queue depth, backup ages, HTTP requests */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Prometheus text exposition format 0.0.4 */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/plain": string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/dashboard/summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Runs per day by status, success rate, rows and bytes moved, running and queued runs, newest backup age per connection, storage used */
        get: {
            parameters: {
                query?: {
                    /** @description (default: 14) */
                    days?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description DashboardSummary */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            generated_at: string;
                            /** @description true when served from the REDIS_URL cache (at most 15 s old) */
                            cached: boolean;
                            days: number;
                            runs_per_day: {
                                day: string;
                                succeeded: number;
                                incomplete: number;
                                failed: number;
                                cancelled: number;
                            }[];
                            totals: {
                                runs: number;
                                succeeded: number;
                                /** @description runs that copied every table but not every schema object */
                                incomplete: number;
                                failed: number;
                                /** @description succeeded / (succeeded + incomplete + failed); null without finished runs */
                                success_rate: number | null;
                                rows: number;
                                bytes: number;
                            };
                            running: number;
                            queued: number;
                            last_backup_per_connection: {
                                connection_id: string;
                                connection: string;
                                newest_backup_at: string;
                                age_s: number;
                            }[];
                            storage_used: {
                                storage_id: string;
                                storage: string;
                                bytes: number;
                                backups: number;
                            }[];
                            protection: {
                                /** @description connections under continuous protection */
                                protected: number;
                                /** @description of those, streamed by a worker now */
                                streaming: number;
                                /** @description the largest WAL lag in seconds (plus the time since the last figures when nobody streams); null before any figures */
                                worst_rpo_s: number | null;
                                worst_connection_id: string | null;
                                worst_connection: string | null;
                            };
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/connections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List connections (paged, searchable) */
        get: {
            parameters: {
                query?: {
                    /** @description substring of name, host, database or description */
                    search?: string;
                    /** @description (default: 1) */
                    page?: number;
                    /** @description (default: 50) */
                    page_size?: number;
                    /** @description (default: name) */
                    sort?: "name" | "-name" | "created_at" | "-created_at" | "updated_at" | "-updated_at";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                name: string;
                                description: string | null;
                                host: string;
                                port: number;
                                database: string;
                                user: string;
                                /** @enum {string} */
                                sslmode: "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
                                application_name: string | null;
                                connect_timeout: number | null;
                                options: string | null;
                                protected: boolean;
                                tags: string[];
                                has_password: boolean;
                                created_at: string;
                                updated_at: string;
                            }[];
                            total: number;
                            page: number;
                            page_size: number;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Register a connection */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        description?: string | null;
                        /** @description production: never the destination of a destructive operation (default: false) */
                        protected?: boolean;
                        tags?: string[];
                        /** @description postgres://USER[:PASSWORD]@host[:port]/database[?sslmode=…]; instead of the fields below */
                        url?: string;
                        host?: string;
                        /** @description (default: 5432) */
                        port?: number;
                        database?: string;
                        user?: string;
                        /** @description Write-only. On update: omit to keep the stored password, null to remove it */
                        password?: string | null;
                        /**
                         * @description (default: prefer) allow/prefer connect without SSL (node-postgres cannot fall back); require encrypts; verify-ca/verify-full also verify the certificate
                         * @enum {string}
                         */
                        sslmode?: "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
                        application_name?: string | null;
                        /** @description seconds */
                        connect_timeout?: number | null;
                        /** @description server startup options, e.g. -c statement_timeout=0 */
                        options?: string | null;
                    };
                };
            };
            responses: {
                /** @description Connection */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            description: string | null;
                            host: string;
                            port: number;
                            database: string;
                            user: string;
                            /** @enum {string} */
                            sslmode: "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
                            application_name: string | null;
                            connect_timeout: number | null;
                            options: string | null;
                            protected: boolean;
                            tags: string[];
                            has_password: boolean;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/connections/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Test an unsaved connection (reachability, version, latency, size, privileges) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description postgres://USER[:PASSWORD]@host[:port]/database[?sslmode=…]; instead of the fields below */
                        url?: string;
                        host?: string;
                        /** @description (default: 5432) */
                        port?: number;
                        database?: string;
                        user?: string;
                        /** @description Write-only. On update: omit to keep the stored password, null to remove it */
                        password?: string | null;
                        /**
                         * @description (default: prefer) allow/prefer connect without SSL (node-postgres cannot fall back); require encrypts; verify-ca/verify-full also verify the certificate
                         * @enum {string}
                         */
                        sslmode?: "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
                        application_name?: string | null;
                        /** @description seconds */
                        connect_timeout?: number | null;
                        /** @description server startup options, e.g. -c statement_timeout=0 */
                        options?: string | null;
                        /** @description schemas to check privileges on (default: all) */
                        schemas?: string[];
                        /**
                         * @description require the privileges of this role for ok=true
                         * @enum {string}
                         */
                        as?: "source" | "destination";
                        /** @description (default: 10000) */
                        timeout_ms?: number;
                        name?: string;
                        description?: string | null;
                        /** @description production: never the destination of a destructive operation (default: false) */
                        protected?: boolean;
                        tags?: string[];
                    };
                };
            };
            responses: {
                /** @description ConnectionTestResult */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            ok: boolean;
                            target: string;
                            connect_ms: number | null;
                            latency_ms: number | null;
                            server_version: string | null;
                            server_version_num: number | null;
                            database_size_bytes: number | null;
                            current_user: string | null;
                            is_superuser: boolean | null;
                            in_recovery: boolean | null;
                            source: {
                                ok: boolean;
                                schemas: {
                                    schema: string;
                                    exists: boolean;
                                    usage: boolean;
                                    tables: number;
                                    unreadable_tables: string[];
                                    unreadable_sequences: string[];
                                    row_security_tables: string[];
                                }[];
                                missing: string[];
                            } | null;
                            destination: {
                                ok: boolean;
                                schemas: {
                                    schema: string;
                                    exists: boolean;
                                    usage: boolean;
                                    create: boolean;
                                    tables: number;
                                    unwritable_tables: string[];
                                }[];
                                missing: string[];
                                can_create_schema: boolean;
                                can_create_temp: boolean;
                            } | null;
                            error: {
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            } | null;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/connections/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a connection (never its password) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description connection id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Connection */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            description: string | null;
                            host: string;
                            port: number;
                            database: string;
                            user: string;
                            /** @enum {string} */
                            sslmode: "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
                            application_name: string | null;
                            connect_timeout: number | null;
                            options: string | null;
                            protected: boolean;
                            tags: string[];
                            has_password: boolean;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        /** Replace a connection; without password the stored one is kept */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description connection id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        description?: string | null;
                        /** @description production: never the destination of a destructive operation (default: false) */
                        protected?: boolean;
                        tags?: string[];
                        /** @description postgres://USER[:PASSWORD]@host[:port]/database[?sslmode=…]; instead of the fields below */
                        url?: string;
                        host?: string;
                        /** @description (default: 5432) */
                        port?: number;
                        database?: string;
                        user?: string;
                        /** @description Write-only. On update: omit to keep the stored password, null to remove it */
                        password?: string | null;
                        /**
                         * @description (default: prefer) allow/prefer connect without SSL (node-postgres cannot fall back); require encrypts; verify-ca/verify-full also verify the certificate
                         * @enum {string}
                         */
                        sslmode?: "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
                        application_name?: string | null;
                        /** @description seconds */
                        connect_timeout?: number | null;
                        /** @description server startup options, e.g. -c statement_timeout=0 */
                        options?: string | null;
                    };
                };
            };
            responses: {
                /** @description Connection */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            description: string | null;
                            host: string;
                            port: number;
                            database: string;
                            user: string;
                            /** @enum {string} */
                            sslmode: "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
                            application_name: string | null;
                            connect_timeout: number | null;
                            options: string | null;
                            protected: boolean;
                            tags: string[];
                            has_password: boolean;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        post?: never;
        /** Delete a connection (409 naming the jobs that still use it) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description connection id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/connections/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Test a saved connection */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description connection id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description schemas to check privileges on (default: all) */
                        schemas?: string[];
                        /**
                         * @description require the privileges of this role for ok=true
                         * @enum {string}
                         */
                        as?: "source" | "destination";
                        /** @description (default: 10000) */
                        timeout_ms?: number;
                    } | null;
                };
            };
            responses: {
                /** @description ConnectionTestResult */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            ok: boolean;
                            target: string;
                            connect_ms: number | null;
                            latency_ms: number | null;
                            server_version: string | null;
                            server_version_num: number | null;
                            database_size_bytes: number | null;
                            current_user: string | null;
                            is_superuser: boolean | null;
                            in_recovery: boolean | null;
                            source: {
                                ok: boolean;
                                schemas: {
                                    schema: string;
                                    exists: boolean;
                                    usage: boolean;
                                    tables: number;
                                    unreadable_tables: string[];
                                    unreadable_sequences: string[];
                                    row_security_tables: string[];
                                }[];
                                missing: string[];
                            } | null;
                            destination: {
                                ok: boolean;
                                schemas: {
                                    schema: string;
                                    exists: boolean;
                                    usage: boolean;
                                    create: boolean;
                                    tables: number;
                                    unwritable_tables: string[];
                                }[];
                                missing: string[];
                                can_create_schema: boolean;
                                can_create_temp: boolean;
                            } | null;
                            error: {
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            } | null;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/connections/{id}/schemas": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the connection's schemas */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description connection id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                name: string;
                                owner: string;
                                table_count: number;
                                can_use: boolean;
                                can_create: boolean;
                                comment: string | null;
                            }[];
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/connections/{id}/tables": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the tables of a schema with estimated rows, size, keys and partitioning */
        get: {
            parameters: {
                query?: {
                    schema?: string;
                };
                header?: never;
                path: {
                    /** @description connection id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                schema: string;
                                name: string;
                                /** @enum {string} */
                                kind: "table" | "partitioned";
                                estimated_rows: number | null;
                                total_bytes: number;
                                has_primary_key: boolean;
                                primary_key: string[];
                                has_unique_key: boolean;
                                partition_key: string | null;
                                partition_count: number;
                                partition_of: {
                                    schema: string;
                                    name: string;
                                } | null;
                                can_select: boolean;
                                comment: string | null;
                            }[];
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/connections/{id}/tables/{schema}/{table}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A table's columns, keys and foreign keys */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description connection id or name */
                    id: string;
                    schema: string;
                    table: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description TableDetail */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description TableInfo */
                            table: {
                                schema: string;
                                name: string;
                                /** @enum {string} */
                                kind: "table" | "partitioned";
                                estimated_rows: number | null;
                                total_bytes: number;
                                has_primary_key: boolean;
                                primary_key: string[];
                                has_unique_key: boolean;
                                partition_key: string | null;
                                partition_count: number;
                                partition_of: {
                                    schema: string;
                                    name: string;
                                } | null;
                                can_select: boolean;
                                comment: string | null;
                            };
                            columns: {
                                position: number;
                                name: string;
                                data_type: string;
                                nullable: boolean;
                                default: string | null;
                                identity: ("always" | "by default") | null;
                                generated: string | null;
                                collation: string | null;
                                comment: string | null;
                            }[];
                            keys: {
                                name: string;
                                /** @enum {string} */
                                kind: "primary" | "unique";
                                columns: string[];
                            }[];
                            foreign_keys: {
                                name: string;
                                schema: string;
                                table: string;
                                columns: string[];
                                referenced_schema: string;
                                referenced_table: string;
                                referenced_columns: string[];
                                on_update: string;
                                on_delete: string;
                                deferrable: boolean;
                                initially_deferred: boolean;
                                validated: boolean;
                                definition: string;
                            }[];
                            referenced_by: {
                                name: string;
                                schema: string;
                                table: string;
                                columns: string[];
                                referenced_schema: string;
                                referenced_table: string;
                                referenced_columns: string[];
                                on_update: string;
                                on_delete: string;
                                deferrable: boolean;
                                initially_deferred: boolean;
                                validated: boolean;
                                definition: string;
                            }[];
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/protection": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every protected connection with its lag and slot state */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                connection_id: string;
                                connection_name: string;
                                enabled: boolean;
                                storage_id: string;
                                storage_name: string;
                                slot_name: string;
                                /**
                                 * @description dropping: disabled, the slot is still on the source until a worker drops it
                                 * @enum {string}
                                 */
                                slot_state: "active" | "dropping" | "dropped";
                                /** @enum {string} */
                                compression: "gzip" | "zstd" | "none";
                                encrypt: boolean;
                                lag_seconds_alert: number | null;
                                retained_bytes_alert: number | null;
                                channel_ids: string[];
                                drill_cron: string | null;
                                drill_timezone: string;
                                drill_next_fire_at: string | null;
                                keep_last: number | null;
                                keep_daily: number | null;
                                keep_weekly: number | null;
                                keep_monthly: number | null;
                                /** @description a worker holds the lease and streams now */
                                streaming: boolean;
                                worker_id: string | null;
                                progress: {
                                    system_id: string | null;
                                    timeline: number | null;
                                    received_lsn: string | null;
                                    /** @description end of the last WAL segment in storage: what a restore can reach */
                                    uploaded_lsn: string | null;
                                    server_lsn: string | null;
                                    /** @description WAL on the server not yet in storage */
                                    lag_bytes: number | null;
                                    /** @description age of the oldest WAL not yet in storage (the recovery point objective now) */
                                    lag_seconds: number | null;
                                    /** @description WAL the slot keeps on the source */
                                    retained_bytes: number | null;
                                    /** @description since the stream last started */
                                    segments_uploaded: number | null;
                                    at: string;
                                } | null;
                                last_error: {
                                    code: string;
                                    message: string | null;
                                    at: string | null;
                                } | null;
                                lag_alerted_at: string | null;
                                retained_alerted_at: string | null;
                                created_at: string;
                                updated_at: string;
                            }[];
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/connections/{id}/protection": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A connection's continuous protection: settings, streaming worker, lag, retained WAL */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description connection id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description ConnectionProtection */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            connection_id: string;
                            connection_name: string;
                            enabled: boolean;
                            storage_id: string;
                            storage_name: string;
                            slot_name: string;
                            /**
                             * @description dropping: disabled, the slot is still on the source until a worker drops it
                             * @enum {string}
                             */
                            slot_state: "active" | "dropping" | "dropped";
                            /** @enum {string} */
                            compression: "gzip" | "zstd" | "none";
                            encrypt: boolean;
                            lag_seconds_alert: number | null;
                            retained_bytes_alert: number | null;
                            channel_ids: string[];
                            drill_cron: string | null;
                            drill_timezone: string;
                            drill_next_fire_at: string | null;
                            keep_last: number | null;
                            keep_daily: number | null;
                            keep_weekly: number | null;
                            keep_monthly: number | null;
                            /** @description a worker holds the lease and streams now */
                            streaming: boolean;
                            worker_id: string | null;
                            progress: {
                                system_id: string | null;
                                timeline: number | null;
                                received_lsn: string | null;
                                /** @description end of the last WAL segment in storage: what a restore can reach */
                                uploaded_lsn: string | null;
                                server_lsn: string | null;
                                /** @description WAL on the server not yet in storage */
                                lag_bytes: number | null;
                                /** @description age of the oldest WAL not yet in storage (the recovery point objective now) */
                                lag_seconds: number | null;
                                /** @description WAL the slot keeps on the source */
                                retained_bytes: number | null;
                                /** @description since the stream last started */
                                segments_uploaded: number | null;
                                at: string;
                            } | null;
                            last_error: {
                                code: string;
                                message: string | null;
                                at: string | null;
                            } | null;
                            lag_alerted_at: string | null;
                            retained_alerted_at: string | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        /** Turn continuous protection on (or change it): a worker streams the WAL into the storage through a replication slot */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description connection id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description storage id or name; WAL is kept under wal/<system id>/ at its root */
                        storage: string;
                        /**
                         * @description (default: gzip, or the current setting)
                         * @enum {string}
                         */
                        compression?: "gzip" | "zstd" | "none";
                        /** @description encrypt every WAL file with the storage's encryption secret (default: false, or the current setting) */
                        encrypt?: boolean;
                        /** @description notify when WAL not yet in storage is older than this many seconds; null: never */
                        lag_seconds_alert?: number | null;
                        /** @description notify when the slot keeps more than this many bytes of WAL on the source; null: never */
                        retained_bytes_alert?: number | null;
                        /** @description notification channels told of threshold crossings (events protection_lag, protection_retained, protection_recovered) */
                        channel_ids?: string[];
                        /** @description a physical drill (run of kind drill) on this cron schedule; null: none */
                        drill_cron?: string | null;
                        /** @description time zone of drill_cron (default: UTC, or the current setting) */
                        drill_timezone?: string;
                        /** @description retention after a drill that passed: newest base backups kept */
                        keep_last?: number | null;
                        keep_daily?: number | null;
                        keep_weekly?: number | null;
                        keep_monthly?: number | null;
                    };
                };
            };
            responses: {
                /** @description ConnectionProtection */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            connection_id: string;
                            connection_name: string;
                            enabled: boolean;
                            storage_id: string;
                            storage_name: string;
                            slot_name: string;
                            /**
                             * @description dropping: disabled, the slot is still on the source until a worker drops it
                             * @enum {string}
                             */
                            slot_state: "active" | "dropping" | "dropped";
                            /** @enum {string} */
                            compression: "gzip" | "zstd" | "none";
                            encrypt: boolean;
                            lag_seconds_alert: number | null;
                            retained_bytes_alert: number | null;
                            channel_ids: string[];
                            drill_cron: string | null;
                            drill_timezone: string;
                            drill_next_fire_at: string | null;
                            keep_last: number | null;
                            keep_daily: number | null;
                            keep_weekly: number | null;
                            keep_monthly: number | null;
                            /** @description a worker holds the lease and streams now */
                            streaming: boolean;
                            worker_id: string | null;
                            progress: {
                                system_id: string | null;
                                timeline: number | null;
                                received_lsn: string | null;
                                /** @description end of the last WAL segment in storage: what a restore can reach */
                                uploaded_lsn: string | null;
                                server_lsn: string | null;
                                /** @description WAL on the server not yet in storage */
                                lag_bytes: number | null;
                                /** @description age of the oldest WAL not yet in storage (the recovery point objective now) */
                                lag_seconds: number | null;
                                /** @description WAL the slot keeps on the source */
                                retained_bytes: number | null;
                                /** @description since the stream last started */
                                segments_uploaded: number | null;
                                at: string;
                            } | null;
                            last_error: {
                                code: string;
                                message: string | null;
                                at: string | null;
                            } | null;
                            lag_alerted_at: string | null;
                            retained_alerted_at: string | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        post?: never;
        /** Turn continuous protection off: the stream stops and its replication slot is dropped (slot_state says when) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description connection id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description ConnectionProtection */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            connection_id: string;
                            connection_name: string;
                            enabled: boolean;
                            storage_id: string;
                            storage_name: string;
                            slot_name: string;
                            /**
                             * @description dropping: disabled, the slot is still on the source until a worker drops it
                             * @enum {string}
                             */
                            slot_state: "active" | "dropping" | "dropped";
                            /** @enum {string} */
                            compression: "gzip" | "zstd" | "none";
                            encrypt: boolean;
                            lag_seconds_alert: number | null;
                            retained_bytes_alert: number | null;
                            channel_ids: string[];
                            drill_cron: string | null;
                            drill_timezone: string;
                            drill_next_fire_at: string | null;
                            keep_last: number | null;
                            keep_daily: number | null;
                            keep_weekly: number | null;
                            keep_monthly: number | null;
                            /** @description a worker holds the lease and streams now */
                            streaming: boolean;
                            worker_id: string | null;
                            progress: {
                                system_id: string | null;
                                timeline: number | null;
                                received_lsn: string | null;
                                /** @description end of the last WAL segment in storage: what a restore can reach */
                                uploaded_lsn: string | null;
                                server_lsn: string | null;
                                /** @description WAL on the server not yet in storage */
                                lag_bytes: number | null;
                                /** @description age of the oldest WAL not yet in storage (the recovery point objective now) */
                                lag_seconds: number | null;
                                /** @description WAL the slot keeps on the source */
                                retained_bytes: number | null;
                                /** @description since the stream last started */
                                segments_uploaded: number | null;
                                at: string;
                            } | null;
                            last_error: {
                                code: string;
                                message: string | null;
                                at: string | null;
                            } | null;
                            lag_alerted_at: string | null;
                            retained_alerted_at: string | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/connections/{id}/protection/timeline": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The restorable window: each physical base backup in the protection's storage and the unbroken WAL after it, holes named */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description connection id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description ProtectionTimeline */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            connection_id: string;
                            storage_name: string;
                            /** @description null until the stream reported the cluster; then windows are listed */
                            system_id: string | null;
                            windows: {
                                /** @description the base backup (path in the storage) */
                                backup: string;
                                timeline: number;
                                start_lsn: string;
                                started_at: string;
                                /** @description the earliest point it restores to */
                                consistent_lsn: string;
                                consistent_at: string;
                                /** @description the latest point: the end of the unbroken WAL after the backup */
                                end_lsn: string;
                                unrestorable: boolean;
                                /** @description a hole in the WAL after the backup */
                                first_missing: string | null;
                                resumes_at: string | null;
                            }[];
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/connections/{id}/protection/restore": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Queue a physical restore of a base backup to a directory on a worker's host, recovered to a point inside the restorable window (a restore run); refused outside the window */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description connection id or name */
                    id: string;
                };
                cookie?: never;
            };
            /** @description ProtectionRestoreBody */
            requestBody: {
                content: {
                    "application/json": {
                        /** @description the base backup (a window of the timeline) */
                        backup: string;
                        /**
                         * Format: date-time
                         * @description recover to this moment (inside the window)
                         */
                        target_time?: string;
                        target_lsn?: string;
                        /** @description a restore point (pg_create_restore_point) */
                        target_name?: string;
                        /** @description recover through all WAL in the archive */
                        latest?: boolean;
                        /** @description the new data directory on the worker's host (must not exist, or be empty) */
                        to_dir: string;
                        /**
                         * @description start the restored cluster and wait until recovery reached the target
                         * @default false
                         */
                        start?: boolean;
                        /** @description with start: the port (default: a free one) */
                        port?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            run_id: string;
                            /** @enum {string} */
                            kind: "restore";
                            status: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Log in: sets an HttpOnly session cookie and a readable pgferry_csrf cookie, or (202) asks for the second factor
         * @description Send the csrf_token (also in the pgferry_csrf cookie) as `X-CSRF-Token` on every change made with the cookie. Failed attempts are limited per IP and per user (429 with Retry-After). A user with two-factor sign-in gets 202 and no session: send the challenge_token with a code to POST /api/v1/auth/login/totp (or /login/recovery-code) within 5 minutes.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        username: string;
                        password: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description User */
                            user: {
                                id: string;
                                username: string;
                                display_name: string | null;
                                /** @enum {string} */
                                role: "viewer" | "operator" | "admin";
                                disabled: boolean;
                                disabled_at: string | null;
                                last_login_at: string | null;
                                created_at: string;
                                updated_at: string;
                            };
                            csrf_token: string;
                            expires_at: string;
                        };
                    };
                };
                /** @description SecondFactorRequired */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {boolean} */
                            second_factor_required: true;
                            /** @description Single use; send it with the code to POST /api/v1/auth/login/totp or /login/recovery-code */
                            challenge_token: string;
                            expires_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End the current session (a bearer token is unaffected; revoke it instead) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who am I: the user, the effective role and how the request authenticated */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description User */
                            user: {
                                id: string;
                                username: string;
                                display_name: string | null;
                                /** @enum {string} */
                                role: "viewer" | "operator" | "admin";
                                disabled: boolean;
                                disabled_at: string | null;
                                last_login_at: string | null;
                                created_at: string;
                                updated_at: string;
                            };
                            /**
                             * @description Effective role (a token can have less than its user)
                             * @enum {string}
                             */
                            role: "viewer" | "operator" | "admin";
                            auth: {
                                /** @enum {string} */
                                kind: "session" | "token";
                                token_id: string | null;
                                token_name: string | null;
                            };
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Change your own password (ends all your sessions; log in again); wrong current passwords are limited like logins (429 with Retry-After) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        current_password: string;
                        new_password: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/totp": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your two-factor sign-in: enabled, an enrolment pending, recovery codes left, and whether it is required of you */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            enabled: boolean;
                            pending: boolean;
                            recovery_codes_left: number;
                            required: boolean;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/totp/enrol": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start enrolling an authenticator app: answers the secret (only now) as text, otpauth URI and QR code; confirm with a code */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            secret: string;
                            otpauth_uri: string;
                            /** @description PNG data URL of the otpauth URI */
                            qr_data_url: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/totp/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Turn two-factor sign-in off (or drop a pending enrolment); needs your current password or a current code */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        password?: string;
                        code?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/totp/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Confirm enrolment with a current code: two-factor sign-in is on and the recovery codes are answered, once */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        code: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Shown once: store them somewhere safe; each works once */
                            recovery_codes: string[];
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/totp/recovery-codes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replace your recovery codes (the old ones stop working); needs a current code; the new ones are answered once */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        code: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Shown once: store them somewhere safe; each works once */
                            recovery_codes: string[];
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{id}/totp": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Turn off a user's two-factor sign-in (they lost the phone and the recovery codes); they sign in with the password alone until they enrol again */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login/totp": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Second login step: the challenge_token from POST /auth/login (202) and the 6-digit code from the authenticator app; each code works once */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        challenge_token: string;
                        code: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description User */
                            user: {
                                id: string;
                                username: string;
                                display_name: string | null;
                                /** @enum {string} */
                                role: "viewer" | "operator" | "admin";
                                disabled: boolean;
                                disabled_at: string | null;
                                last_login_at: string | null;
                                created_at: string;
                                updated_at: string;
                            };
                            csrf_token: string;
                            expires_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login/recovery-code": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Second login step with a recovery code instead of the app (the code is used up) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        challenge_token: string;
                        code: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description User */
                            user: {
                                id: string;
                                username: string;
                                display_name: string | null;
                                /** @enum {string} */
                                role: "viewer" | "operator" | "admin";
                                disabled: boolean;
                                disabled_at: string | null;
                                last_login_at: string | null;
                                created_at: string;
                                updated_at: string;
                            };
                            csrf_token: string;
                            expires_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** How one may sign in here: SSO (with its button label) and whether password login is on */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            sso: {
                                enabled: boolean;
                                label: string;
                                login_url: string;
                            };
                            /**
                             * @description off: only the break-glass user may log in with a password
                             * @enum {string}
                             */
                            local_login: "on" | "off";
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/oidc/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Start an SSO sign-in: redirects to the identity provider (state, nonce and PKCE) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description An HTML page that navigates on (to the UI, or to /login?sso_error=<code>) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": string;
                    };
                };
                /** @description Default Response */
                302: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/oidc/callback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The identity provider sends the browser back here; starts a pgferry session */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description An HTML page that navigates on (to the UI, or to /login?sso_error=<code>) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": string;
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List users */
        get: {
            parameters: {
                query?: {
                    page?: number;
                    page_size?: number;
                    /** @description Substring of username or display name */
                    q?: string;
                    role?: "viewer" | "operator" | "admin";
                    disabled?: "true" | "false";
                    sort?: "username" | "created_at" | "last_login_at";
                    order?: "asc" | "desc";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                username: string;
                                display_name: string | null;
                                /** @enum {string} */
                                role: "viewer" | "operator" | "admin";
                                disabled: boolean;
                                disabled_at: string | null;
                                last_login_at: string | null;
                                created_at: string;
                                updated_at: string;
                            }[];
                            total: number;
                            page: number;
                            page_size: number;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create a user (argon2id password hash; at least 12 characters) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        username: string;
                        password: string;
                        /** @enum {string} */
                        role: "viewer" | "operator" | "admin";
                        display_name?: string | null;
                    };
                };
            };
            responses: {
                /** @description User */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            username: string;
                            display_name: string | null;
                            /** @enum {string} */
                            role: "viewer" | "operator" | "admin";
                            disabled: boolean;
                            disabled_at: string | null;
                            last_login_at: string | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One user */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description User */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            username: string;
                            display_name: string | null;
                            /** @enum {string} */
                            role: "viewer" | "operator" | "admin";
                            disabled: boolean;
                            disabled_at: string | null;
                            last_login_at: string | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a user with its sessions and tokens (audit rows stay) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /** Change role, display name, password, or disable/enable (disabling or a new password ends sessions at once) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        role?: "viewer" | "operator" | "admin";
                        display_name?: string | null;
                        disabled?: boolean;
                        password?: string;
                    };
                };
            };
            responses: {
                /** @description User */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            username: string;
                            display_name: string | null;
                            /** @enum {string} */
                            role: "viewer" | "operator" | "admin";
                            disabled: boolean;
                            disabled_at: string | null;
                            last_login_at: string | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/v1/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List API tokens (never the tokens themselves) */
        get: {
            parameters: {
                query?: {
                    page?: number;
                    page_size?: number;
                    user_id?: string;
                    include_revoked?: "true" | "false";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                user_id: string;
                                username: string;
                                name: string;
                                /** @enum {string} */
                                role: "viewer" | "operator" | "admin";
                                /** @description First characters of the token, to tell tokens apart */
                                token_prefix: string;
                                last_used_at: string | null;
                                expires_at: string | null;
                                revoked_at: string | null;
                                created_at: string;
                            }[];
                            total: number;
                            page: number;
                            page_size: number;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create an API token; the answer holds the token, shown this once */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        /** @enum {string} */
                        role: "viewer" | "operator" | "admin";
                        /**
                         * Format: uuid
                         * @description Owner (default: the caller)
                         */
                        user_id?: string;
                        expires_in_days?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            user_id: string;
                            username: string;
                            name: string;
                            /** @enum {string} */
                            role: "viewer" | "operator" | "admin";
                            /** @description First characters of the token, to tell tokens apart */
                            token_prefix: string;
                            last_used_at: string | null;
                            expires_at: string | null;
                            revoked_at: string | null;
                            created_at: string;
                            /** @description Send as `Authorization: Bearer <token>`; not retrievable later */
                            token: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke a token (it fails from the next request on) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description ApiToken */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            user_id: string;
                            username: string;
                            name: string;
                            /** @enum {string} */
                            role: "viewer" | "operator" | "admin";
                            /** @description First characters of the token, to tell tokens apart */
                            token_prefix: string;
                            last_used_at: string | null;
                            expires_at: string | null;
                            revoked_at: string | null;
                            created_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit-log": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Search the audit log, newest first */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                    /** @description Username of the actor (exact) */
                    actor?: string;
                    actor_id?: string;
                    actor_type?: "user" | "token" | "system" | "anonymous";
                    /** @description Exact action such as `connection.create`, or `connection.*` */
                    action?: string;
                    resource_type?: string;
                    resource_id?: string;
                    /** @description Inclusive start (ISO 8601) */
                    from?: string;
                    /** @description Exclusive end (ISO 8601) */
                    to?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                at: string;
                                /** @enum {string} */
                                actor_type: "user" | "token" | "system" | "anonymous";
                                actor_id: string | null;
                                actor_name: string | null;
                                actor_token_id: string | null;
                                action: string;
                                resource_type: string | null;
                                resource_id: string | null;
                                /** @description The resource's current name (null when it has none or was deleted); resource_id stays the reference */
                                resource_name: string | null;
                                ip: string | null;
                                user_agent: string | null;
                                request_id: string | null;
                                /** @description The request body with secret fields replaced by "[redacted]" */
                                request_body: unknown;
                                status: number | null;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sync-jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List sync jobs */
        get: {
            parameters: {
                query?: {
                    /** @description (default: 1) */
                    page?: number;
                    /** @description (default: 50) */
                    page_size?: number;
                    /** @description substring of the name */
                    q?: string;
                    enabled?: "true" | "false";
                    /** @description (default: name) */
                    sort?: "name" | "created_at" | "next_fire_at";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                /** @enum {string} */
                                kind: "sync";
                                name: string;
                                description: string | null;
                                source_connection_id: string;
                                destination_connection_id: string;
                                selection: {
                                    /** @description Schemas to copy (default: every non-system schema) */
                                    schemas?: string[];
                                    /** @description Tables as schema.table (default: every table of the schemas) */
                                    tables?: string[];
                                    /** @description Glob patterns of schema.table to include */
                                    include?: string[];
                                    /** @description Glob patterns of schema.table to exclude */
                                    exclude?: string[];
                                } & {
                                    [key: string]: unknown;
                                };
                                table_options: {
                                    [key: string]: {
                                        /** @enum {string} */
                                        mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                                        where?: string;
                                        /** @description Unique key columns for keyed modes (default: primary key) */
                                        key?: string[];
                                        /** @description Column for incremental mode */
                                        cursor_column?: string;
                                        columns?: {
                                            [key: string]: string;
                                        };
                                    } & {
                                        [key: string]: unknown;
                                    };
                                };
                                /** @enum {string} */
                                default_mode: "full" | "append" | "upsert" | "incremental" | "mirror";
                                /** @enum {string} */
                                schema_policy: "create-missing" | "add-columns" | "strict" | "none";
                                parallelism: number;
                                split_rows: number | null;
                                verify: boolean;
                                copy_owners: boolean;
                                copy_grants: boolean;
                                cron: string | null;
                                timezone: string;
                                enabled: boolean;
                                next_fire_at: string | null;
                                skipped_ticks: number;
                                last_skipped_tick_at: string | null;
                                retry_max: number;
                                retry_backoff_s: number;
                                timeout_s: number | null;
                                channel_ids: string[];
                                created_at: string;
                                updated_at: string;
                                /** @description The job's latest run by queue time (whatever its status), null when it never ran */
                                last_run: {
                                    id: string;
                                    /** @enum {string} */
                                    status: "queued" | "running" | "succeeded" | "incomplete" | "failed" | "cancelled";
                                    finished_at: string | null;
                                } | null;
                            }[];
                            total: number;
                            page: number;
                            page_size: number;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create a sync job */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        description?: string | null;
                        /** Format: uuid */
                        source_connection_id: string;
                        /** Format: uuid */
                        destination_connection_id: string;
                        selection?: {
                            /** @description Schemas to copy (default: every non-system schema) */
                            schemas?: string[];
                            /** @description Tables as schema.table (default: every table of the schemas) */
                            tables?: string[];
                            /** @description Glob patterns of schema.table to include */
                            include?: string[];
                            /** @description Glob patterns of schema.table to exclude */
                            exclude?: string[];
                        };
                        /** @description Per-table options keyed by schema.table; the key "*" holds defaults for every other table (e.g. cursor_column) */
                        table_options?: {
                            [key: string]: {
                                /** @enum {string} */
                                mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                                /** @description SQL filter run in the read-only source snapshot */
                                where?: string;
                                /** @description Unique key columns for keyed modes (default: primary key) */
                                key?: string[];
                                /** @description Column for incremental mode */
                                cursor_column?: string;
                                /** @description Column rules (anonymisation, applied in the source SELECT): column → rule */
                                columns?: {
                                    [key: string]: string;
                                };
                            };
                        };
                        /** @enum {string} */
                        default_mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                        /** @enum {string} */
                        schema_policy?: "create-missing" | "add-columns" | "strict" | "none";
                        parallelism?: number;
                        split_rows?: number | null;
                        verify?: boolean;
                        /** @description Give the copied objects the source's owners (the roles must exist on the destination) */
                        copy_owners?: boolean;
                        /** @description Add the source's GRANTs on the copied objects */
                        copy_grants?: boolean;
                        /** @description 5 or 6 fields (seconds first); null = run only on demand */
                        cron?: string | null;
                        /** @description IANA time zone of the cron (default: UTC) */
                        timezone?: string;
                        enabled?: boolean;
                        /** @description Automatic retries after a failure (default: 0) */
                        retry_max?: number;
                        /** @description First retry delay; doubles each attempt (default: 60) */
                        retry_backoff_s?: number;
                        /** @description Stop and fail a run after this long */
                        timeout_s?: number | null;
                        /** @description Notification channels told about runs */
                        channel_ids?: string[];
                    };
                };
            };
            responses: {
                /** @description SyncJob */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "sync";
                            name: string;
                            description: string | null;
                            source_connection_id: string;
                            destination_connection_id: string;
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            table_options: {
                                [key: string]: {
                                    /** @enum {string} */
                                    mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                                    where?: string;
                                    /** @description Unique key columns for keyed modes (default: primary key) */
                                    key?: string[];
                                    /** @description Column for incremental mode */
                                    cursor_column?: string;
                                    columns?: {
                                        [key: string]: string;
                                    };
                                } & {
                                    [key: string]: unknown;
                                };
                            };
                            /** @enum {string} */
                            default_mode: "full" | "append" | "upsert" | "incremental" | "mirror";
                            /** @enum {string} */
                            schema_policy: "create-missing" | "add-columns" | "strict" | "none";
                            parallelism: number;
                            split_rows: number | null;
                            verify: boolean;
                            copy_owners: boolean;
                            copy_grants: boolean;
                            cron: string | null;
                            timezone: string;
                            enabled: boolean;
                            next_fire_at: string | null;
                            skipped_ticks: number;
                            last_skipped_tick_at: string | null;
                            retry_max: number;
                            retry_backoff_s: number;
                            timeout_s: number | null;
                            channel_ids: string[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sync-jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a sync job */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description SyncJob */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "sync";
                            name: string;
                            description: string | null;
                            source_connection_id: string;
                            destination_connection_id: string;
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            table_options: {
                                [key: string]: {
                                    /** @enum {string} */
                                    mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                                    where?: string;
                                    /** @description Unique key columns for keyed modes (default: primary key) */
                                    key?: string[];
                                    /** @description Column for incremental mode */
                                    cursor_column?: string;
                                    columns?: {
                                        [key: string]: string;
                                    };
                                } & {
                                    [key: string]: unknown;
                                };
                            };
                            /** @enum {string} */
                            default_mode: "full" | "append" | "upsert" | "incremental" | "mirror";
                            /** @enum {string} */
                            schema_policy: "create-missing" | "add-columns" | "strict" | "none";
                            parallelism: number;
                            split_rows: number | null;
                            verify: boolean;
                            copy_owners: boolean;
                            copy_grants: boolean;
                            cron: string | null;
                            timezone: string;
                            enabled: boolean;
                            next_fire_at: string | null;
                            skipped_ticks: number;
                            last_skipped_tick_at: string | null;
                            retry_max: number;
                            retry_backoff_s: number;
                            timeout_s: number | null;
                            channel_ids: string[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a sync job (its runs stay) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /** Change a sync job (fields given are replaced) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string;
                        description?: string | null;
                        /** Format: uuid */
                        source_connection_id?: string;
                        /** Format: uuid */
                        destination_connection_id?: string;
                        selection?: {
                            /** @description Schemas to copy (default: every non-system schema) */
                            schemas?: string[];
                            /** @description Tables as schema.table (default: every table of the schemas) */
                            tables?: string[];
                            /** @description Glob patterns of schema.table to include */
                            include?: string[];
                            /** @description Glob patterns of schema.table to exclude */
                            exclude?: string[];
                        };
                        /** @description Per-table options keyed by schema.table; the key "*" holds defaults for every other table (e.g. cursor_column) */
                        table_options?: {
                            [key: string]: {
                                /** @enum {string} */
                                mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                                /** @description SQL filter run in the read-only source snapshot */
                                where?: string;
                                /** @description Unique key columns for keyed modes (default: primary key) */
                                key?: string[];
                                /** @description Column for incremental mode */
                                cursor_column?: string;
                                /** @description Column rules (anonymisation, applied in the source SELECT): column → rule */
                                columns?: {
                                    [key: string]: string;
                                };
                            };
                        };
                        /** @enum {string} */
                        default_mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                        /** @enum {string} */
                        schema_policy?: "create-missing" | "add-columns" | "strict" | "none";
                        parallelism?: number;
                        split_rows?: number | null;
                        verify?: boolean;
                        /** @description Give the copied objects the source's owners (the roles must exist on the destination) */
                        copy_owners?: boolean;
                        /** @description Add the source's GRANTs on the copied objects */
                        copy_grants?: boolean;
                        /** @description 5 or 6 fields (seconds first); null = run only on demand */
                        cron?: string | null;
                        /** @description IANA time zone of the cron (default: UTC) */
                        timezone?: string;
                        enabled?: boolean;
                        /** @description Automatic retries after a failure (default: 0) */
                        retry_max?: number;
                        /** @description First retry delay; doubles each attempt (default: 60) */
                        retry_backoff_s?: number;
                        /** @description Stop and fail a run after this long */
                        timeout_s?: number | null;
                        /** @description Notification channels told about runs */
                        channel_ids?: string[];
                    };
                };
            };
            responses: {
                /** @description SyncJob */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "sync";
                            name: string;
                            description: string | null;
                            source_connection_id: string;
                            destination_connection_id: string;
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            table_options: {
                                [key: string]: {
                                    /** @enum {string} */
                                    mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                                    where?: string;
                                    /** @description Unique key columns for keyed modes (default: primary key) */
                                    key?: string[];
                                    /** @description Column for incremental mode */
                                    cursor_column?: string;
                                    columns?: {
                                        [key: string]: string;
                                    };
                                } & {
                                    [key: string]: unknown;
                                };
                            };
                            /** @enum {string} */
                            default_mode: "full" | "append" | "upsert" | "incremental" | "mirror";
                            /** @enum {string} */
                            schema_policy: "create-missing" | "add-columns" | "strict" | "none";
                            parallelism: number;
                            split_rows: number | null;
                            verify: boolean;
                            copy_owners: boolean;
                            copy_grants: boolean;
                            cron: string | null;
                            timezone: string;
                            enabled: boolean;
                            next_fire_at: string | null;
                            skipped_ticks: number;
                            last_skipped_tick_at: string | null;
                            retry_max: number;
                            retry_backoff_s: number;
                            timeout_s: number | null;
                            channel_ids: string[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/v1/sync-jobs/{id}/enable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Enable the schedule of a sync job */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description SyncJob */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "sync";
                            name: string;
                            description: string | null;
                            source_connection_id: string;
                            destination_connection_id: string;
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            table_options: {
                                [key: string]: {
                                    /** @enum {string} */
                                    mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                                    where?: string;
                                    /** @description Unique key columns for keyed modes (default: primary key) */
                                    key?: string[];
                                    /** @description Column for incremental mode */
                                    cursor_column?: string;
                                    columns?: {
                                        [key: string]: string;
                                    };
                                } & {
                                    [key: string]: unknown;
                                };
                            };
                            /** @enum {string} */
                            default_mode: "full" | "append" | "upsert" | "incremental" | "mirror";
                            /** @enum {string} */
                            schema_policy: "create-missing" | "add-columns" | "strict" | "none";
                            parallelism: number;
                            split_rows: number | null;
                            verify: boolean;
                            copy_owners: boolean;
                            copy_grants: boolean;
                            cron: string | null;
                            timezone: string;
                            enabled: boolean;
                            next_fire_at: string | null;
                            skipped_ticks: number;
                            last_skipped_tick_at: string | null;
                            retry_max: number;
                            retry_backoff_s: number;
                            timeout_s: number | null;
                            channel_ids: string[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sync-jobs/{id}/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Disable the schedule of a sync job */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description SyncJob */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "sync";
                            name: string;
                            description: string | null;
                            source_connection_id: string;
                            destination_connection_id: string;
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            table_options: {
                                [key: string]: {
                                    /** @enum {string} */
                                    mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                                    where?: string;
                                    /** @description Unique key columns for keyed modes (default: primary key) */
                                    key?: string[];
                                    /** @description Column for incremental mode */
                                    cursor_column?: string;
                                    columns?: {
                                        [key: string]: string;
                                    };
                                } & {
                                    [key: string]: unknown;
                                };
                            };
                            /** @enum {string} */
                            default_mode: "full" | "append" | "upsert" | "incremental" | "mirror";
                            /** @enum {string} */
                            schema_policy: "create-missing" | "add-columns" | "strict" | "none";
                            parallelism: number;
                            split_rows: number | null;
                            verify: boolean;
                            copy_owners: boolean;
                            copy_grants: boolean;
                            cron: string | null;
                            timezone: string;
                            enabled: boolean;
                            next_fire_at: string | null;
                            skipped_ticks: number;
                            last_skipped_tick_at: string | null;
                            retry_max: number;
                            retry_backoff_s: number;
                            timeout_s: number | null;
                            channel_ids: string[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sync-jobs/{id}/run": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run a sync job now (409 while it has an active run) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        params?: {
                            /**
                             * Format: uuid
                             * @description A failed or cancelled run of this job to continue: the tables it committed are skipped
                             */
                            resume?: string;
                            /** @description Verify with checksums after the load (default: the job's setting) */
                            verify?: boolean;
                        };
                    } | null;
                };
            };
            responses: {
                /** @description RunSummary */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            kind: string;
                            job_id: string | null;
                            sync_job_id: string | null;
                            backup_job_id: string | null;
                            job_name: string | null;
                            trigger: string;
                            /**
                             * @description incomplete: every table was copied but schema objects were not reproduced (never a success)
                             * @enum {string}
                             */
                            status: "queued" | "running" | "succeeded" | "incomplete" | "failed" | "cancelled";
                            scheduled_for: string | null;
                            queued_at: string;
                            started_at: string | null;
                            finished_at: string | null;
                            duration_ms: number | null;
                            heartbeat_at: string | null;
                            worker_id: string | null;
                            attempt: number;
                            retry_of: string | null;
                            resume_of: string | null;
                            total_rows: number;
                            total_bytes: number;
                            error_code: string | null;
                            error_message: string | null;
                            cancel_requested_at: string | null;
                            created_by: string | null;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/follow-jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List continuous-sync jobs */
        get: {
            parameters: {
                query?: {
                    /** @description (default: 1) */
                    page?: number;
                    /** @description (default: 50) */
                    page_size?: number;
                    /** @description substring of the name */
                    q?: string;
                    enabled?: "true" | "false";
                    /** @description (default: name) */
                    sort?: "name" | "created_at" | "next_fire_at";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                /** @enum {string} */
                                kind: "follow";
                                name: string;
                                description: string | null;
                                source_connection_id: string;
                                destination_connection_id: string;
                                selection: {
                                    /** @description Schemas to copy (default: every non-system schema) */
                                    schemas?: string[];
                                    /** @description Tables as schema.table (default: every table of the schemas) */
                                    tables?: string[];
                                    /** @description Glob patterns of schema.table to include */
                                    include?: string[];
                                    /** @description Glob patterns of schema.table to exclude */
                                    exclude?: string[];
                                } & {
                                    [key: string]: unknown;
                                };
                                table_options: {
                                    [key: string]: {
                                        /** @enum {string} */
                                        mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                                        where?: string;
                                        /** @description Unique key columns for keyed modes (default: primary key) */
                                        key?: string[];
                                        /** @description Column for incremental mode */
                                        cursor_column?: string;
                                        columns?: {
                                            [key: string]: string;
                                        };
                                    } & {
                                        [key: string]: unknown;
                                    };
                                };
                                /** @enum {string} */
                                schema_policy: "create-missing" | "add-columns" | "strict" | "none";
                                parallelism: number;
                                copy_owners: boolean;
                                copy_grants: boolean;
                                enabled: boolean;
                                channel_ids: string[];
                                retained_bytes_alert: number | null;
                                lag_seconds_alert: number | null;
                                /** @enum {string} */
                                state: "running" | "waiting" | "paused" | "disabled";
                                paused_reason: string | null;
                                worker_id: string | null;
                                lease_expires_at: string | null;
                                progress: {
                                    phase: string;
                                    slot_name: string | null;
                                    publication_name: string | null;
                                    source_lsn: string | null;
                                    applied_lsn: string | null;
                                    lag_bytes: number | null;
                                    lag_seconds: number | null;
                                    retained_bytes: number | null;
                                    last_applied_xid: number | null;
                                    last_applied_commit_time: string | null;
                                    changes_applied: number;
                                    changes_per_second: number;
                                    transactions_applied: number;
                                    measured_at: string | null;
                                } | null;
                                last_error: {
                                    code: string;
                                    message: string | null;
                                    at: string | null;
                                } | null;
                                last_cutover: {
                                    follow_id: string;
                                    target_lsn: string;
                                    applied_lsn: string;
                                    sequences_set: {
                                        sequence: string;
                                        value: string;
                                    }[];
                                    tables: {
                                        table: string;
                                        equal: boolean;
                                        source_rows: number;
                                        destination_rows: number;
                                        detail?: string;
                                    }[];
                                    schema_equal: boolean;
                                    equal: boolean;
                                    seconds: number;
                                    finished_at: string;
                                } | null;
                                created_at: string;
                                updated_at: string;
                            }[];
                            total: number;
                            page: number;
                            page_size: number;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create a continuous-sync job (a worker starts following it) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        description?: string | null;
                        /** Format: uuid */
                        source_connection_id: string;
                        /** Format: uuid */
                        destination_connection_id: string;
                        selection?: {
                            /** @description Schemas to copy (default: every non-system schema) */
                            schemas?: string[];
                            /** @description Tables as schema.table (default: every table of the schemas) */
                            tables?: string[];
                            /** @description Glob patterns of schema.table to include */
                            include?: string[];
                            /** @description Glob patterns of schema.table to exclude */
                            exclude?: string[];
                        };
                        /** @description Per-table filters (where), keys and column rules keyed by schema.table; "*" holds defaults; the stream applies them as the copy does */
                        table_options?: {
                            [key: string]: {
                                /** @description SQL filter run in the read-only source snapshot */
                                where?: string;
                                /** @description Unique key columns for keyed modes (default: primary key) */
                                key?: string[];
                                /** @description Column rules (anonymisation, applied in the source SELECT): column → rule */
                                columns?: {
                                    [key: string]: string;
                                };
                            };
                        };
                        /** @enum {string} */
                        schema_policy?: "create-missing" | "add-columns" | "strict" | "none";
                        /** @description Tables copied at once during the initial copy (default: 2) */
                        parallelism?: number;
                        copy_owners?: boolean;
                        copy_grants?: boolean;
                        /** @description A disabled job is not followed by any worker (its slot stays and retains WAL) */
                        enabled?: boolean;
                        /** @description Notification channels told about runs */
                        channel_ids?: string[];
                        /** @description Notify (event replication_retained) when the slot retains more WAL than this many bytes */
                        retained_bytes_alert?: number | null;
                        /** @description Notify (event replication_lag) when the lag passes this many seconds */
                        lag_seconds_alert?: number | null;
                    };
                };
            };
            responses: {
                /** @description FollowJob */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "follow";
                            name: string;
                            description: string | null;
                            source_connection_id: string;
                            destination_connection_id: string;
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            table_options: {
                                [key: string]: {
                                    /** @enum {string} */
                                    mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                                    where?: string;
                                    /** @description Unique key columns for keyed modes (default: primary key) */
                                    key?: string[];
                                    /** @description Column for incremental mode */
                                    cursor_column?: string;
                                    columns?: {
                                        [key: string]: string;
                                    };
                                } & {
                                    [key: string]: unknown;
                                };
                            };
                            /** @enum {string} */
                            schema_policy: "create-missing" | "add-columns" | "strict" | "none";
                            parallelism: number;
                            copy_owners: boolean;
                            copy_grants: boolean;
                            enabled: boolean;
                            channel_ids: string[];
                            retained_bytes_alert: number | null;
                            lag_seconds_alert: number | null;
                            /** @enum {string} */
                            state: "running" | "waiting" | "paused" | "disabled";
                            paused_reason: string | null;
                            worker_id: string | null;
                            lease_expires_at: string | null;
                            progress: {
                                phase: string;
                                slot_name: string | null;
                                publication_name: string | null;
                                source_lsn: string | null;
                                applied_lsn: string | null;
                                lag_bytes: number | null;
                                lag_seconds: number | null;
                                retained_bytes: number | null;
                                last_applied_xid: number | null;
                                last_applied_commit_time: string | null;
                                changes_applied: number;
                                changes_per_second: number;
                                transactions_applied: number;
                                measured_at: string | null;
                            } | null;
                            last_error: {
                                code: string;
                                message: string | null;
                                at: string | null;
                            } | null;
                            last_cutover: {
                                follow_id: string;
                                target_lsn: string;
                                applied_lsn: string;
                                sequences_set: {
                                    sequence: string;
                                    value: string;
                                }[];
                                tables: {
                                    table: string;
                                    equal: boolean;
                                    source_rows: number;
                                    destination_rows: number;
                                    detail?: string;
                                }[];
                                schema_equal: boolean;
                                equal: boolean;
                                seconds: number;
                                finished_at: string;
                            } | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/follow-jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a continuous-sync job with its last stored progress */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description FollowJob */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "follow";
                            name: string;
                            description: string | null;
                            source_connection_id: string;
                            destination_connection_id: string;
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            table_options: {
                                [key: string]: {
                                    /** @enum {string} */
                                    mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                                    where?: string;
                                    /** @description Unique key columns for keyed modes (default: primary key) */
                                    key?: string[];
                                    /** @description Column for incremental mode */
                                    cursor_column?: string;
                                    columns?: {
                                        [key: string]: string;
                                    };
                                } & {
                                    [key: string]: unknown;
                                };
                            };
                            /** @enum {string} */
                            schema_policy: "create-missing" | "add-columns" | "strict" | "none";
                            parallelism: number;
                            copy_owners: boolean;
                            copy_grants: boolean;
                            enabled: boolean;
                            channel_ids: string[];
                            retained_bytes_alert: number | null;
                            lag_seconds_alert: number | null;
                            /** @enum {string} */
                            state: "running" | "waiting" | "paused" | "disabled";
                            paused_reason: string | null;
                            worker_id: string | null;
                            lease_expires_at: string | null;
                            progress: {
                                phase: string;
                                slot_name: string | null;
                                publication_name: string | null;
                                source_lsn: string | null;
                                applied_lsn: string | null;
                                lag_bytes: number | null;
                                lag_seconds: number | null;
                                retained_bytes: number | null;
                                last_applied_xid: number | null;
                                last_applied_commit_time: string | null;
                                changes_applied: number;
                                changes_per_second: number;
                                transactions_applied: number;
                                measured_at: string | null;
                            } | null;
                            last_error: {
                                code: string;
                                message: string | null;
                                at: string | null;
                            } | null;
                            last_cutover: {
                                follow_id: string;
                                target_lsn: string;
                                applied_lsn: string;
                                sequences_set: {
                                    sequence: string;
                                    value: string;
                                }[];
                                tables: {
                                    table: string;
                                    equal: boolean;
                                    source_rows: number;
                                    destination_rows: number;
                                    detail?: string;
                                }[];
                                schema_equal: boolean;
                                equal: boolean;
                                seconds: number;
                                finished_at: string;
                            } | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change a continuous-sync job (source and destination are fixed) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string;
                        description?: string | null;
                        /** Format: uuid */
                        source_connection_id?: string;
                        /** Format: uuid */
                        destination_connection_id?: string;
                        selection?: {
                            /** @description Schemas to copy (default: every non-system schema) */
                            schemas?: string[];
                            /** @description Tables as schema.table (default: every table of the schemas) */
                            tables?: string[];
                            /** @description Glob patterns of schema.table to include */
                            include?: string[];
                            /** @description Glob patterns of schema.table to exclude */
                            exclude?: string[];
                        };
                        /** @description Per-table filters (where), keys and column rules keyed by schema.table; "*" holds defaults; the stream applies them as the copy does */
                        table_options?: {
                            [key: string]: {
                                /** @description SQL filter run in the read-only source snapshot */
                                where?: string;
                                /** @description Unique key columns for keyed modes (default: primary key) */
                                key?: string[];
                                /** @description Column rules (anonymisation, applied in the source SELECT): column → rule */
                                columns?: {
                                    [key: string]: string;
                                };
                            };
                        };
                        /** @enum {string} */
                        schema_policy?: "create-missing" | "add-columns" | "strict" | "none";
                        /** @description Tables copied at once during the initial copy (default: 2) */
                        parallelism?: number;
                        copy_owners?: boolean;
                        copy_grants?: boolean;
                        /** @description A disabled job is not followed by any worker (its slot stays and retains WAL) */
                        enabled?: boolean;
                        /** @description Notification channels told about runs */
                        channel_ids?: string[];
                        /** @description Notify (event replication_retained) when the slot retains more WAL than this many bytes */
                        retained_bytes_alert?: number | null;
                        /** @description Notify (event replication_lag) when the lag passes this many seconds */
                        lag_seconds_alert?: number | null;
                    };
                };
            };
            responses: {
                /** @description FollowJob */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "follow";
                            name: string;
                            description: string | null;
                            source_connection_id: string;
                            destination_connection_id: string;
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            table_options: {
                                [key: string]: {
                                    /** @enum {string} */
                                    mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                                    where?: string;
                                    /** @description Unique key columns for keyed modes (default: primary key) */
                                    key?: string[];
                                    /** @description Column for incremental mode */
                                    cursor_column?: string;
                                    columns?: {
                                        [key: string]: string;
                                    };
                                } & {
                                    [key: string]: unknown;
                                };
                            };
                            /** @enum {string} */
                            schema_policy: "create-missing" | "add-columns" | "strict" | "none";
                            parallelism: number;
                            copy_owners: boolean;
                            copy_grants: boolean;
                            enabled: boolean;
                            channel_ids: string[];
                            retained_bytes_alert: number | null;
                            lag_seconds_alert: number | null;
                            /** @enum {string} */
                            state: "running" | "waiting" | "paused" | "disabled";
                            paused_reason: string | null;
                            worker_id: string | null;
                            lease_expires_at: string | null;
                            progress: {
                                phase: string;
                                slot_name: string | null;
                                publication_name: string | null;
                                source_lsn: string | null;
                                applied_lsn: string | null;
                                lag_bytes: number | null;
                                lag_seconds: number | null;
                                retained_bytes: number | null;
                                last_applied_xid: number | null;
                                last_applied_commit_time: string | null;
                                changes_applied: number;
                                changes_per_second: number;
                                transactions_applied: number;
                                measured_at: string | null;
                            } | null;
                            last_error: {
                                code: string;
                                message: string | null;
                                at: string | null;
                            } | null;
                            last_cutover: {
                                follow_id: string;
                                target_lsn: string;
                                applied_lsn: string;
                                sequences_set: {
                                    sequence: string;
                                    value: string;
                                }[];
                                tables: {
                                    table: string;
                                    equal: boolean;
                                    source_rows: number;
                                    destination_rows: number;
                                    detail?: string;
                                }[];
                                schema_equal: boolean;
                                equal: boolean;
                                seconds: number;
                                finished_at: string;
                            } | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/v1/follow-jobs/{id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Pause: the follower stops at its next heartbeat; the slot stays and retains WAL */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description FollowJob */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "follow";
                            name: string;
                            description: string | null;
                            source_connection_id: string;
                            destination_connection_id: string;
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            table_options: {
                                [key: string]: {
                                    /** @enum {string} */
                                    mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                                    where?: string;
                                    /** @description Unique key columns for keyed modes (default: primary key) */
                                    key?: string[];
                                    /** @description Column for incremental mode */
                                    cursor_column?: string;
                                    columns?: {
                                        [key: string]: string;
                                    };
                                } & {
                                    [key: string]: unknown;
                                };
                            };
                            /** @enum {string} */
                            schema_policy: "create-missing" | "add-columns" | "strict" | "none";
                            parallelism: number;
                            copy_owners: boolean;
                            copy_grants: boolean;
                            enabled: boolean;
                            channel_ids: string[];
                            retained_bytes_alert: number | null;
                            lag_seconds_alert: number | null;
                            /** @enum {string} */
                            state: "running" | "waiting" | "paused" | "disabled";
                            paused_reason: string | null;
                            worker_id: string | null;
                            lease_expires_at: string | null;
                            progress: {
                                phase: string;
                                slot_name: string | null;
                                publication_name: string | null;
                                source_lsn: string | null;
                                applied_lsn: string | null;
                                lag_bytes: number | null;
                                lag_seconds: number | null;
                                retained_bytes: number | null;
                                last_applied_xid: number | null;
                                last_applied_commit_time: string | null;
                                changes_applied: number;
                                changes_per_second: number;
                                transactions_applied: number;
                                measured_at: string | null;
                            } | null;
                            last_error: {
                                code: string;
                                message: string | null;
                                at: string | null;
                            } | null;
                            last_cutover: {
                                follow_id: string;
                                target_lsn: string;
                                applied_lsn: string;
                                sequences_set: {
                                    sequence: string;
                                    value: string;
                                }[];
                                tables: {
                                    table: string;
                                    equal: boolean;
                                    source_rows: number;
                                    destination_rows: number;
                                    detail?: string;
                                }[];
                                schema_equal: boolean;
                                equal: boolean;
                                seconds: number;
                                finished_at: string;
                            } | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/follow-jobs/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resume: a worker follows the job again from its stored position */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description FollowJob */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "follow";
                            name: string;
                            description: string | null;
                            source_connection_id: string;
                            destination_connection_id: string;
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            table_options: {
                                [key: string]: {
                                    /** @enum {string} */
                                    mode?: "full" | "append" | "upsert" | "incremental" | "mirror";
                                    where?: string;
                                    /** @description Unique key columns for keyed modes (default: primary key) */
                                    key?: string[];
                                    /** @description Column for incremental mode */
                                    cursor_column?: string;
                                    columns?: {
                                        [key: string]: string;
                                    };
                                } & {
                                    [key: string]: unknown;
                                };
                            };
                            /** @enum {string} */
                            schema_policy: "create-missing" | "add-columns" | "strict" | "none";
                            parallelism: number;
                            copy_owners: boolean;
                            copy_grants: boolean;
                            enabled: boolean;
                            channel_ids: string[];
                            retained_bytes_alert: number | null;
                            lag_seconds_alert: number | null;
                            /** @enum {string} */
                            state: "running" | "waiting" | "paused" | "disabled";
                            paused_reason: string | null;
                            worker_id: string | null;
                            lease_expires_at: string | null;
                            progress: {
                                phase: string;
                                slot_name: string | null;
                                publication_name: string | null;
                                source_lsn: string | null;
                                applied_lsn: string | null;
                                lag_bytes: number | null;
                                lag_seconds: number | null;
                                retained_bytes: number | null;
                                last_applied_xid: number | null;
                                last_applied_commit_time: string | null;
                                changes_applied: number;
                                changes_per_second: number;
                                transactions_applied: number;
                                measured_at: string | null;
                            } | null;
                            last_error: {
                                code: string;
                                message: string | null;
                                at: string | null;
                            } | null;
                            last_cutover: {
                                follow_id: string;
                                target_lsn: string;
                                applied_lsn: string;
                                sequences_set: {
                                    sequence: string;
                                    value: string;
                                }[];
                                tables: {
                                    table: string;
                                    equal: boolean;
                                    source_rows: number;
                                    destination_rows: number;
                                    detail?: string;
                                }[];
                                schema_equal: boolean;
                                equal: boolean;
                                seconds: number;
                                finished_at: string;
                            } | null;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/follow-jobs/{id}/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Live lag and position, measured now on the source and the destination */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description FollowProgress */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            phase: string;
                            slot_name: string | null;
                            publication_name: string | null;
                            source_lsn: string | null;
                            applied_lsn: string | null;
                            lag_bytes: number | null;
                            lag_seconds: number | null;
                            retained_bytes: number | null;
                            last_applied_xid: number | null;
                            last_applied_commit_time: string | null;
                            changes_applied: number;
                            changes_per_second: number;
                            transactions_applied: number;
                            measured_at: string | null;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/follow-jobs/{id}/cutover": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cut over: wait for lag 0, set sequences, compare every table, answer the report (stops the job when equal); the request lasts until then */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Give up waiting for lag 0 after this long (default: 300) */
                        timeout_s?: number;
                    } | null;
                };
            };
            responses: {
                /** @description CutoverReport */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            follow_id: string;
                            target_lsn: string;
                            applied_lsn: string;
                            sequences_set: {
                                sequence: string;
                                value: string;
                            }[];
                            tables: {
                                table: string;
                                equal: boolean;
                                source_rows: number;
                                destination_rows: number;
                                detail?: string;
                            }[];
                            schema_equal: boolean;
                            equal: boolean;
                            seconds: number;
                            finished_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/follow-jobs/{id}/drop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Drop: stop the follower, remove the slot, the publication and the position, delete the job */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description FollowDrop */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            job: {
                                id: string;
                                name: string;
                            };
                            slot_dropped: boolean;
                            publication_dropped: boolean;
                            position_dropped: boolean;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/backup-jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List backup jobs */
        get: {
            parameters: {
                query?: {
                    /** @description (default: 1) */
                    page?: number;
                    /** @description (default: 50) */
                    page_size?: number;
                    /** @description substring of the name */
                    q?: string;
                    enabled?: "true" | "false";
                    /** @description (default: name) */
                    sort?: "name" | "created_at" | "next_fire_at";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                /** @enum {string} */
                                kind: "backup";
                                name: string;
                                description: string | null;
                                connection_id: string;
                                storage_ids: string[];
                                all_databases: boolean;
                                include_globals: boolean;
                                /** @enum {string} */
                                format: "native" | "pg_dump" | "physical";
                                selection: {
                                    /** @description Schemas to copy (default: every non-system schema) */
                                    schemas?: string[];
                                    /** @description Tables as schema.table (default: every table of the schemas) */
                                    tables?: string[];
                                    /** @description Glob patterns of schema.table to include */
                                    include?: string[];
                                    /** @description Glob patterns of schema.table to exclude */
                                    exclude?: string[];
                                } & {
                                    [key: string]: unknown;
                                };
                                /** @enum {string} */
                                compression: "gzip" | "zstd" | "none";
                                encrypt: boolean;
                                parallelism: number;
                                retention: {
                                    keep_last?: number;
                                    daily?: number;
                                    weekly?: number;
                                    monthly?: number;
                                } & {
                                    [key: string]: unknown;
                                };
                                verification: {
                                    /** @description Restore each new backup into a scratch database and compare */
                                    drill?: boolean;
                                    /** @description Drill every Nth backup (default: 1) */
                                    drill_every?: number;
                                } & {
                                    [key: string]: unknown;
                                };
                                incremental_full_every: number | null;
                                cron: string | null;
                                timezone: string;
                                enabled: boolean;
                                next_fire_at: string | null;
                                skipped_ticks: number;
                                last_skipped_tick_at: string | null;
                                retry_max: number;
                                retry_backoff_s: number;
                                timeout_s: number | null;
                                channel_ids: string[];
                                created_at: string;
                                updated_at: string;
                                /** @description The job's latest run by queue time (whatever its status), null when it never ran */
                                last_run: {
                                    id: string;
                                    /** @enum {string} */
                                    status: "queued" | "running" | "succeeded" | "incomplete" | "failed" | "cancelled";
                                    finished_at: string | null;
                                } | null;
                            }[];
                            total: number;
                            page: number;
                            page_size: number;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create a backup job */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        description?: string | null;
                        /** Format: uuid */
                        connection_id: string;
                        storage_ids: string[];
                        all_databases?: boolean;
                        include_globals?: boolean;
                        /** @enum {string} */
                        format?: "native" | "pg_dump" | "physical";
                        selection?: {
                            /** @description Schemas to copy (default: every non-system schema) */
                            schemas?: string[];
                            /** @description Tables as schema.table (default: every table of the schemas) */
                            tables?: string[];
                            /** @description Glob patterns of schema.table to include */
                            include?: string[];
                            /** @description Glob patterns of schema.table to exclude */
                            exclude?: string[];
                        };
                        /** @enum {string} */
                        compression?: "gzip" | "zstd" | "none";
                        encrypt?: boolean;
                        parallelism?: number;
                        retention?: {
                            keep_last?: number;
                            daily?: number;
                            weekly?: number;
                            monthly?: number;
                        };
                        verification?: {
                            /** @description Restore each new backup into a scratch database and compare */
                            drill?: boolean;
                            /** @description Drill every Nth backup (default: 1) */
                            drill_every?: number;
                        };
                        /** @description Format physical, PostgreSQL 17+ with summarize_wal = on: each run takes an incremental backup on the previous one, every Nth run a full backup (null: every run is a full backup) */
                        incremental_full_every?: number | null;
                        /** @description 5 or 6 fields (seconds first); null = run only on demand */
                        cron?: string | null;
                        /** @description IANA time zone of the cron (default: UTC) */
                        timezone?: string;
                        enabled?: boolean;
                        /** @description Automatic retries after a failure (default: 0) */
                        retry_max?: number;
                        /** @description First retry delay; doubles each attempt (default: 60) */
                        retry_backoff_s?: number;
                        /** @description Stop and fail a run after this long */
                        timeout_s?: number | null;
                        /** @description Notification channels told about runs */
                        channel_ids?: string[];
                    };
                };
            };
            responses: {
                /** @description BackupJob */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "backup";
                            name: string;
                            description: string | null;
                            connection_id: string;
                            storage_ids: string[];
                            all_databases: boolean;
                            include_globals: boolean;
                            /** @enum {string} */
                            format: "native" | "pg_dump" | "physical";
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            /** @enum {string} */
                            compression: "gzip" | "zstd" | "none";
                            encrypt: boolean;
                            parallelism: number;
                            retention: {
                                keep_last?: number;
                                daily?: number;
                                weekly?: number;
                                monthly?: number;
                            } & {
                                [key: string]: unknown;
                            };
                            verification: {
                                /** @description Restore each new backup into a scratch database and compare */
                                drill?: boolean;
                                /** @description Drill every Nth backup (default: 1) */
                                drill_every?: number;
                            } & {
                                [key: string]: unknown;
                            };
                            incremental_full_every: number | null;
                            cron: string | null;
                            timezone: string;
                            enabled: boolean;
                            next_fire_at: string | null;
                            skipped_ticks: number;
                            last_skipped_tick_at: string | null;
                            retry_max: number;
                            retry_backoff_s: number;
                            timeout_s: number | null;
                            channel_ids: string[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/backup-jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a backup job */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description BackupJob */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "backup";
                            name: string;
                            description: string | null;
                            connection_id: string;
                            storage_ids: string[];
                            all_databases: boolean;
                            include_globals: boolean;
                            /** @enum {string} */
                            format: "native" | "pg_dump" | "physical";
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            /** @enum {string} */
                            compression: "gzip" | "zstd" | "none";
                            encrypt: boolean;
                            parallelism: number;
                            retention: {
                                keep_last?: number;
                                daily?: number;
                                weekly?: number;
                                monthly?: number;
                            } & {
                                [key: string]: unknown;
                            };
                            verification: {
                                /** @description Restore each new backup into a scratch database and compare */
                                drill?: boolean;
                                /** @description Drill every Nth backup (default: 1) */
                                drill_every?: number;
                            } & {
                                [key: string]: unknown;
                            };
                            incremental_full_every: number | null;
                            cron: string | null;
                            timezone: string;
                            enabled: boolean;
                            next_fire_at: string | null;
                            skipped_ticks: number;
                            last_skipped_tick_at: string | null;
                            retry_max: number;
                            retry_backoff_s: number;
                            timeout_s: number | null;
                            channel_ids: string[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a backup job (its runs stay) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /** Change a backup job (fields given are replaced) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string;
                        description?: string | null;
                        /** Format: uuid */
                        connection_id?: string;
                        storage_ids?: string[];
                        all_databases?: boolean;
                        include_globals?: boolean;
                        /** @enum {string} */
                        format?: "native" | "pg_dump" | "physical";
                        selection?: {
                            /** @description Schemas to copy (default: every non-system schema) */
                            schemas?: string[];
                            /** @description Tables as schema.table (default: every table of the schemas) */
                            tables?: string[];
                            /** @description Glob patterns of schema.table to include */
                            include?: string[];
                            /** @description Glob patterns of schema.table to exclude */
                            exclude?: string[];
                        };
                        /** @enum {string} */
                        compression?: "gzip" | "zstd" | "none";
                        encrypt?: boolean;
                        parallelism?: number;
                        retention?: {
                            keep_last?: number;
                            daily?: number;
                            weekly?: number;
                            monthly?: number;
                        };
                        verification?: {
                            /** @description Restore each new backup into a scratch database and compare */
                            drill?: boolean;
                            /** @description Drill every Nth backup (default: 1) */
                            drill_every?: number;
                        };
                        /** @description Format physical, PostgreSQL 17+ with summarize_wal = on: each run takes an incremental backup on the previous one, every Nth run a full backup (null: every run is a full backup) */
                        incremental_full_every?: number | null;
                        /** @description 5 or 6 fields (seconds first); null = run only on demand */
                        cron?: string | null;
                        /** @description IANA time zone of the cron (default: UTC) */
                        timezone?: string;
                        enabled?: boolean;
                        /** @description Automatic retries after a failure (default: 0) */
                        retry_max?: number;
                        /** @description First retry delay; doubles each attempt (default: 60) */
                        retry_backoff_s?: number;
                        /** @description Stop and fail a run after this long */
                        timeout_s?: number | null;
                        /** @description Notification channels told about runs */
                        channel_ids?: string[];
                    };
                };
            };
            responses: {
                /** @description BackupJob */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "backup";
                            name: string;
                            description: string | null;
                            connection_id: string;
                            storage_ids: string[];
                            all_databases: boolean;
                            include_globals: boolean;
                            /** @enum {string} */
                            format: "native" | "pg_dump" | "physical";
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            /** @enum {string} */
                            compression: "gzip" | "zstd" | "none";
                            encrypt: boolean;
                            parallelism: number;
                            retention: {
                                keep_last?: number;
                                daily?: number;
                                weekly?: number;
                                monthly?: number;
                            } & {
                                [key: string]: unknown;
                            };
                            verification: {
                                /** @description Restore each new backup into a scratch database and compare */
                                drill?: boolean;
                                /** @description Drill every Nth backup (default: 1) */
                                drill_every?: number;
                            } & {
                                [key: string]: unknown;
                            };
                            incremental_full_every: number | null;
                            cron: string | null;
                            timezone: string;
                            enabled: boolean;
                            next_fire_at: string | null;
                            skipped_ticks: number;
                            last_skipped_tick_at: string | null;
                            retry_max: number;
                            retry_backoff_s: number;
                            timeout_s: number | null;
                            channel_ids: string[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/v1/backup-jobs/{id}/enable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Enable the schedule of a backup job */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description BackupJob */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "backup";
                            name: string;
                            description: string | null;
                            connection_id: string;
                            storage_ids: string[];
                            all_databases: boolean;
                            include_globals: boolean;
                            /** @enum {string} */
                            format: "native" | "pg_dump" | "physical";
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            /** @enum {string} */
                            compression: "gzip" | "zstd" | "none";
                            encrypt: boolean;
                            parallelism: number;
                            retention: {
                                keep_last?: number;
                                daily?: number;
                                weekly?: number;
                                monthly?: number;
                            } & {
                                [key: string]: unknown;
                            };
                            verification: {
                                /** @description Restore each new backup into a scratch database and compare */
                                drill?: boolean;
                                /** @description Drill every Nth backup (default: 1) */
                                drill_every?: number;
                            } & {
                                [key: string]: unknown;
                            };
                            incremental_full_every: number | null;
                            cron: string | null;
                            timezone: string;
                            enabled: boolean;
                            next_fire_at: string | null;
                            skipped_ticks: number;
                            last_skipped_tick_at: string | null;
                            retry_max: number;
                            retry_backoff_s: number;
                            timeout_s: number | null;
                            channel_ids: string[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/backup-jobs/{id}/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Disable the schedule of a backup job */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description BackupJob */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            kind: "backup";
                            name: string;
                            description: string | null;
                            connection_id: string;
                            storage_ids: string[];
                            all_databases: boolean;
                            include_globals: boolean;
                            /** @enum {string} */
                            format: "native" | "pg_dump" | "physical";
                            selection: {
                                /** @description Schemas to copy (default: every non-system schema) */
                                schemas?: string[];
                                /** @description Tables as schema.table (default: every table of the schemas) */
                                tables?: string[];
                                /** @description Glob patterns of schema.table to include */
                                include?: string[];
                                /** @description Glob patterns of schema.table to exclude */
                                exclude?: string[];
                            } & {
                                [key: string]: unknown;
                            };
                            /** @enum {string} */
                            compression: "gzip" | "zstd" | "none";
                            encrypt: boolean;
                            parallelism: number;
                            retention: {
                                keep_last?: number;
                                daily?: number;
                                weekly?: number;
                                monthly?: number;
                            } & {
                                [key: string]: unknown;
                            };
                            verification: {
                                /** @description Restore each new backup into a scratch database and compare */
                                drill?: boolean;
                                /** @description Drill every Nth backup (default: 1) */
                                drill_every?: number;
                            } & {
                                [key: string]: unknown;
                            };
                            incremental_full_every: number | null;
                            cron: string | null;
                            timezone: string;
                            enabled: boolean;
                            next_fire_at: string | null;
                            skipped_ticks: number;
                            last_skipped_tick_at: string | null;
                            retry_max: number;
                            retry_backoff_s: number;
                            timeout_s: number | null;
                            channel_ids: string[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/backup-jobs/{id}/run": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run a backup job now (409 while it has an active run) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description job id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        params?: Record<string, never>;
                    } | null;
                };
            };
            responses: {
                /** @description RunSummary */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            kind: string;
                            job_id: string | null;
                            sync_job_id: string | null;
                            backup_job_id: string | null;
                            job_name: string | null;
                            trigger: string;
                            /**
                             * @description incomplete: every table was copied but schema objects were not reproduced (never a success)
                             * @enum {string}
                             */
                            status: "queued" | "running" | "succeeded" | "incomplete" | "failed" | "cancelled";
                            scheduled_for: string | null;
                            queued_at: string;
                            started_at: string | null;
                            finished_at: string | null;
                            duration_ms: number | null;
                            heartbeat_at: string | null;
                            worker_id: string | null;
                            attempt: number;
                            retry_of: string | null;
                            resume_of: string | null;
                            total_rows: number;
                            total_bytes: number;
                            error_code: string | null;
                            error_message: string | null;
                            cancel_requested_at: string | null;
                            created_by: string | null;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List runs, newest first (filter by job, kind, status, trigger, time; keyset pagination) */
        get: {
            parameters: {
                query?: {
                    /** @description (default: 50) */
                    limit?: number;
                    /** @description next_cursor of the previous page */
                    cursor?: string;
                    /** @description sync or backup job id */
                    job_id?: string;
                    kind?: "sync" | "backup" | "restore" | "verify" | "drill";
                    /** @description e.g. failed,incomplete,cancelled */
                    status?: string;
                    trigger?: "schedule" | "manual" | "api" | "retry" | "resume" | "cli";
                    /** @description queued at or after (ISO 8601) */
                    from?: string;
                    /** @description queued before (ISO 8601) */
                    to?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                kind: string;
                                job_id: string | null;
                                sync_job_id: string | null;
                                backup_job_id: string | null;
                                job_name: string | null;
                                trigger: string;
                                /**
                                 * @description incomplete: every table was copied but schema objects were not reproduced (never a success)
                                 * @enum {string}
                                 */
                                status: "queued" | "running" | "succeeded" | "incomplete" | "failed" | "cancelled";
                                scheduled_for: string | null;
                                queued_at: string;
                                started_at: string | null;
                                finished_at: string | null;
                                duration_ms: number | null;
                                heartbeat_at: string | null;
                                worker_id: string | null;
                                attempt: number;
                                retry_of: string | null;
                                resume_of: string | null;
                                total_rows: number;
                                total_bytes: number;
                                error_code: string | null;
                                error_message: string | null;
                                cancel_requested_at: string | null;
                                created_by: string | null;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A run with per-table figures, the schema objects it did not reproduce, and error stack */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description run id */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Run */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            kind: string;
                            job_id: string | null;
                            sync_job_id: string | null;
                            backup_job_id: string | null;
                            job_name: string | null;
                            trigger: string;
                            /**
                             * @description incomplete: every table was copied but schema objects were not reproduced (never a success)
                             * @enum {string}
                             */
                            status: "queued" | "running" | "succeeded" | "incomplete" | "failed" | "cancelled";
                            scheduled_for: string | null;
                            queued_at: string;
                            started_at: string | null;
                            finished_at: string | null;
                            duration_ms: number | null;
                            heartbeat_at: string | null;
                            worker_id: string | null;
                            attempt: number;
                            retry_of: string | null;
                            resume_of: string | null;
                            total_rows: number;
                            total_bytes: number;
                            error_code: string | null;
                            error_message: string | null;
                            cancel_requested_at: string | null;
                            created_by: string | null;
                            /** @description Per-table figures: table, status, rows, bytes, duration_ms, error */
                            tables: unknown[];
                            /** @description Schema objects of the selection not reproduced on the destination, with why (an incomplete run lists at least one) */
                            missing_objects: {
                                object: string;
                                reason: string;
                            }[];
                            params: {
                                [key: string]: unknown;
                            };
                            error_stack: string | null;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A run's log lines in order */
        get: {
            parameters: {
                query?: {
                    /** @description only lines after this id (tailing) */
                    after_id?: string;
                    /** @description (default: 1000) */
                    limit?: number;
                    /** @description minimum level */
                    level?: "debug" | "info" | "warn" | "error";
                };
                header?: never;
                path: {
                    /** @description run id */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                at: string;
                                /** @enum {string} */
                                level: "debug" | "info" | "warn" | "error";
                                message: string;
                                table: string | null;
                                data: unknown;
                            }[];
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Live progress as Server-Sent Events: `run` (status and per-table figures), `log` (each line), `end` */
        get: {
            parameters: {
                query?: {
                    /** @description only lines after this id (tailing) */
                    after_id?: string;
                };
                header?: never;
                path: {
                    /** @description run id */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel a queued or running run (the engine stops and its statements are cancelled) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description run id */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description RunSummary */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            kind: string;
                            job_id: string | null;
                            sync_job_id: string | null;
                            backup_job_id: string | null;
                            job_name: string | null;
                            trigger: string;
                            /**
                             * @description incomplete: every table was copied but schema objects were not reproduced (never a success)
                             * @enum {string}
                             */
                            status: "queued" | "running" | "succeeded" | "incomplete" | "failed" | "cancelled";
                            scheduled_for: string | null;
                            queued_at: string;
                            started_at: string | null;
                            finished_at: string | null;
                            duration_ms: number | null;
                            heartbeat_at: string | null;
                            worker_id: string | null;
                            attempt: number;
                            retry_of: string | null;
                            resume_of: string | null;
                            total_rows: number;
                            total_bytes: number;
                            error_code: string | null;
                            error_message: string | null;
                            cancel_requested_at: string | null;
                            created_by: string | null;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run a failed, incomplete or cancelled run again from the start */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description run id */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description RunSummary */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            kind: string;
                            job_id: string | null;
                            sync_job_id: string | null;
                            backup_job_id: string | null;
                            job_name: string | null;
                            trigger: string;
                            /**
                             * @description incomplete: every table was copied but schema objects were not reproduced (never a success)
                             * @enum {string}
                             */
                            status: "queued" | "running" | "succeeded" | "incomplete" | "failed" | "cancelled";
                            scheduled_for: string | null;
                            queued_at: string;
                            started_at: string | null;
                            finished_at: string | null;
                            duration_ms: number | null;
                            heartbeat_at: string | null;
                            worker_id: string | null;
                            attempt: number;
                            retry_of: string | null;
                            resume_of: string | null;
                            total_rows: number;
                            total_bytes: number;
                            error_code: string | null;
                            error_message: string | null;
                            cancel_requested_at: string | null;
                            created_by: string | null;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/runs/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resume a failed or cancelled sync run: committed tables are skipped */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description run id */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description RunSummary */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            kind: string;
                            job_id: string | null;
                            sync_job_id: string | null;
                            backup_job_id: string | null;
                            job_name: string | null;
                            trigger: string;
                            /**
                             * @description incomplete: every table was copied but schema objects were not reproduced (never a success)
                             * @enum {string}
                             */
                            status: "queued" | "running" | "succeeded" | "incomplete" | "failed" | "cancelled";
                            scheduled_for: string | null;
                            queued_at: string;
                            started_at: string | null;
                            finished_at: string | null;
                            duration_ms: number | null;
                            heartbeat_at: string | null;
                            worker_id: string | null;
                            attempt: number;
                            retry_of: string | null;
                            resume_of: string | null;
                            total_rows: number;
                            total_bytes: number;
                            error_code: string | null;
                            error_message: string | null;
                            cancel_requested_at: string | null;
                            created_by: string | null;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notification-channels": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List notification channels */
        get: {
            parameters: {
                query?: {
                    page?: number;
                    page_size?: number;
                    kind?: "webhook" | "slack" | "dingtalk" | "wecom" | "feishu" | "teams" | "telegram" | "email" | "discord" | "mattermost" | "ntfy" | "url";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                name: string;
                                /** @enum {string} */
                                kind: "webhook" | "slack" | "dingtalk" | "wecom" | "feishu" | "teams" | "telegram" | "email" | "discord" | "mattermost" | "ntfy" | "url";
                                events: string[];
                                enabled: boolean;
                                /** @description public settings; secrets are never returned */
                                config: {
                                    [key: string]: unknown;
                                };
                                /** @description which secret fields are stored */
                                secrets_set: string[];
                                /** @description custom webhook headers: names only, their values are never returned */
                                headers: {
                                    name: string;
                                    /** @enum {boolean} */
                                    value_set: true;
                                }[];
                                created_at: string;
                                updated_at: string;
                            }[];
                            total: number;
                            page: number;
                            page_size: number;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create a channel (webhook, slack, dingtalk, wecom, feishu, teams, telegram, email, discord, mattermost, ntfy, url) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        /** @enum {string} */
                        kind: "webhook";
                        /** @description (default: [failed]) */
                        events?: ("failed" | "succeeded" | "recovered" | "backup_overdue" | "replication_retained" | "replication_lag" | "protection_lag" | "protection_retained" | "protection_recovered")[];
                        enabled?: boolean;
                        config: {
                            /** Format: uri */
                            url: string;
                            /** @description HMAC-SHA256 key; signs each request (X-Pgferry-Signature) */
                            secret?: string | null;
                            /** @description Extra request headers, e.g. {"Authorization": "Bearer …"}; write-only: answers list their names, never their values */
                            headers?: {
                                [key: string]: string;
                            };
                        };
                    } | {
                        name: string;
                        /** @enum {string} */
                        kind: "slack";
                        /** @description (default: [failed]) */
                        events?: ("failed" | "succeeded" | "recovered" | "backup_overdue" | "replication_retained" | "replication_lag" | "protection_lag" | "protection_retained" | "protection_recovered")[];
                        enabled?: boolean;
                        config: {
                            /**
                             * Format: uri
                             * @description Incoming webhook URL
                             */
                            url: string;
                        };
                    } | {
                        name: string;
                        /** @enum {string} */
                        kind: "dingtalk";
                        /** @description (default: [failed]) */
                        events?: ("failed" | "succeeded" | "recovered" | "backup_overdue" | "replication_retained" | "replication_lag" | "protection_lag" | "protection_retained" | "protection_recovered")[];
                        enabled?: boolean;
                        config: {
                            /**
                             * Format: uri
                             * @description Robot webhook URL with access_token
                             */
                            url: string;
                            /** @description Signing secret (SEC…) */
                            secret?: string | null;
                        };
                    } | {
                        name: string;
                        /** @enum {string} */
                        kind: "wecom";
                        /** @description (default: [failed]) */
                        events?: ("failed" | "succeeded" | "recovered" | "backup_overdue" | "replication_retained" | "replication_lag" | "protection_lag" | "protection_retained" | "protection_recovered")[];
                        enabled?: boolean;
                        config: {
                            /**
                             * Format: uri
                             * @description Group robot webhook URL with key
                             */
                            url: string;
                        };
                    } | {
                        name: string;
                        /** @enum {string} */
                        kind: "feishu";
                        /** @description (default: [failed]) */
                        events?: ("failed" | "succeeded" | "recovered" | "backup_overdue" | "replication_retained" | "replication_lag" | "protection_lag" | "protection_retained" | "protection_recovered")[];
                        enabled?: boolean;
                        config: {
                            /**
                             * Format: uri
                             * @description Custom bot webhook URL
                             */
                            url: string;
                            /** @description Signature verification secret */
                            secret?: string | null;
                        };
                    } | {
                        name: string;
                        /** @enum {string} */
                        kind: "teams";
                        /** @description (default: [failed]) */
                        events?: ("failed" | "succeeded" | "recovered" | "backup_overdue" | "replication_retained" | "replication_lag" | "protection_lag" | "protection_retained" | "protection_recovered")[];
                        enabled?: boolean;
                        config: {
                            /**
                             * Format: uri
                             * @description Incoming webhook / workflow URL
                             */
                            url: string;
                        };
                    } | {
                        name: string;
                        /** @enum {string} */
                        kind: "telegram";
                        /** @description (default: [failed]) */
                        events?: ("failed" | "succeeded" | "recovered" | "backup_overdue" | "replication_retained" | "replication_lag" | "protection_lag" | "protection_retained" | "protection_recovered")[];
                        enabled?: boolean;
                        config: {
                            bot_token: string;
                            chat_id: string | number;
                            /**
                             * Format: uri
                             * @description Bot API base (default: https://api.telegram.org)
                             */
                            api_url?: string;
                        };
                    } | {
                        name: string;
                        /** @enum {string} */
                        kind: "email";
                        /** @description (default: [failed]) */
                        events?: ("failed" | "succeeded" | "recovered" | "backup_overdue" | "replication_retained" | "replication_lag" | "protection_lag" | "protection_retained" | "protection_recovered")[];
                        enabled?: boolean;
                        config: {
                            host: string;
                            port?: number;
                            /** @description TLS from the start (port 465); otherwise STARTTLS when offered */
                            secure?: boolean;
                            require_tls?: boolean;
                            tls_reject_unauthorized?: boolean;
                            username?: string;
                            password?: string | null;
                            from: string;
                            to: string[];
                        };
                    } | {
                        name: string;
                        /** @enum {string} */
                        kind: "discord";
                        /** @description (default: [failed]) */
                        events?: ("failed" | "succeeded" | "recovered" | "backup_overdue" | "replication_retained" | "replication_lag" | "protection_lag" | "protection_retained" | "protection_recovered")[];
                        enabled?: boolean;
                        config: {
                            /**
                             * Format: uri
                             * @description Webhook URL (https://discord.com/api/webhooks/ID/TOKEN)
                             */
                            url: string;
                            /** @description Name the message is posted under (default: the webhook's own) */
                            username?: string;
                        };
                    } | {
                        name: string;
                        /** @enum {string} */
                        kind: "mattermost";
                        /** @description (default: [failed]) */
                        events?: ("failed" | "succeeded" | "recovered" | "backup_overdue" | "replication_retained" | "replication_lag" | "protection_lag" | "protection_retained" | "protection_recovered")[];
                        enabled?: boolean;
                        config: {
                            /**
                             * Format: uri
                             * @description Incoming webhook URL (https://HOST/hooks/KEY)
                             */
                            url: string;
                            /** @description Name the message is posted under, if the server lets webhooks override it */
                            username?: string;
                            /** @description Channel name to post in instead of the webhook's own */
                            channel?: string;
                        };
                    } | {
                        name: string;
                        /** @enum {string} */
                        kind: "ntfy";
                        /** @description (default: [failed]) */
                        events?: ("failed" | "succeeded" | "recovered" | "backup_overdue" | "replication_retained" | "replication_lag" | "protection_lag" | "protection_retained" | "protection_recovered")[];
                        enabled?: boolean;
                        config: {
                            /**
                             * Format: uri
                             * @description ntfy server (default: https://ntfy.sh)
                             */
                            server_url?: string;
                            topic: string;
                            /** @description Access token (tk_…), sent as Authorization: Bearer */
                            token?: string | null;
                            username?: string;
                            password?: string | null;
                        };
                    } | {
                        name: string;
                        /** @enum {string} */
                        kind: "url";
                        /** @description (default: [failed]) */
                        events?: ("failed" | "succeeded" | "recovered" | "backup_overdue" | "replication_retained" | "replication_lag" | "protection_lag" | "protection_retained" | "protection_recovered")[];
                        enabled?: boolean;
                        config: {
                            /** @description Apprise-style service URL: discord://, mattermost:// (mmost://, mmosts://), ntfy://, ntfys://, slack://, teams:// (msteams://), tgram://, json://, jsons:// */
                            url: string;
                        };
                    };
                };
            };
            responses: {
                /** @description NotificationChannel */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            /** @enum {string} */
                            kind: "webhook" | "slack" | "dingtalk" | "wecom" | "feishu" | "teams" | "telegram" | "email" | "discord" | "mattermost" | "ntfy" | "url";
                            events: string[];
                            enabled: boolean;
                            /** @description public settings; secrets are never returned */
                            config: {
                                [key: string]: unknown;
                            };
                            /** @description which secret fields are stored */
                            secrets_set: string[];
                            /** @description custom webhook headers: names only, their values are never returned */
                            headers: {
                                name: string;
                                /** @enum {boolean} */
                                value_set: true;
                            }[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notification-channels/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a channel */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description channel id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description NotificationChannel */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            /** @enum {string} */
                            kind: "webhook" | "slack" | "dingtalk" | "wecom" | "feishu" | "teams" | "telegram" | "email" | "discord" | "mattermost" | "ntfy" | "url";
                            events: string[];
                            enabled: boolean;
                            /** @description public settings; secrets are never returned */
                            config: {
                                [key: string]: unknown;
                            };
                            /** @description which secret fields are stored */
                            secrets_set: string[];
                            /** @description custom webhook headers: names only, their values are never returned */
                            headers: {
                                name: string;
                                /** @enum {boolean} */
                                value_set: true;
                            }[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a channel */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description channel id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /** Change a channel */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description channel id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name?: string;
                        /** @description (default: [failed]) */
                        events?: ("failed" | "succeeded" | "recovered" | "backup_overdue" | "replication_retained" | "replication_lag" | "protection_lag" | "protection_retained" | "protection_recovered")[];
                        enabled?: boolean;
                        /** @description fields to change; a secret left out is kept, null clears it. Webhook headers change one by one: a header left out keeps its value, a header set to null is removed */
                        config?: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            responses: {
                /** @description NotificationChannel */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            /** @enum {string} */
                            kind: "webhook" | "slack" | "dingtalk" | "wecom" | "feishu" | "teams" | "telegram" | "email" | "discord" | "mattermost" | "ntfy" | "url";
                            events: string[];
                            enabled: boolean;
                            /** @description public settings; secrets are never returned */
                            config: {
                                [key: string]: unknown;
                            };
                            /** @description which secret fields are stored */
                            secrets_set: string[];
                            /** @description custom webhook headers: names only, their values are never returned */
                            headers: {
                                name: string;
                                /** @enum {boolean} */
                                value_set: true;
                            }[];
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/v1/notification-channels/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a test message now; the answer says whether the channel accepted it */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description channel id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            delivered: boolean;
                            delivery_id: string;
                            response_status: number | null;
                            error: string | null;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notification-channels/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Recent deliveries of a channel with their attempts and errors */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                };
                header?: never;
                path: {
                    /** @description channel id or name */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                run_id: string | null;
                                event: string;
                                status: string;
                                attempts: number;
                                response_status: number | null;
                                last_error: string | null;
                                created_at: string;
                                delivered_at: string | null;
                                next_attempt_at: string | null;
                            }[];
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/cron/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Check a cron expression: next fire times and a description in English and Chinese (400 names the bad field) */
        get: {
            parameters: {
                query: {
                    /** @description 5 fields, or 6 with seconds first; @daily etc. */
                    expression: string;
                    /** @description IANA zone (default: UTC) */
                    timezone?: string;
                    /** @description how many fire times (default: 5) */
                    count?: number;
                    /** @description compute after this instant (default: now) */
                    from?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description CronPreview */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            expression: string;
                            timezone: string;
                            /** @description next fire times, ISO 8601 UTC */
                            next: string[];
                            description: {
                                en: string;
                                "zh-CN": string;
                            };
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/storages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List storages (paged) */
        get: {
            parameters: {
                query?: {
                    page?: number;
                    page_size?: number;
                    kind?: "local" | "s3";
                    search?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                name: string;
                                description: string | null;
                                /** @enum {string} */
                                kind: "local" | "s3";
                                /** @description local: {path}; s3: {bucket, prefix, region, endpoint, force_path_style, public_endpoint, access_key_id} */
                                config: {
                                    [key: string]: unknown;
                                };
                                has_secret_access_key: boolean;
                                has_encryption_secret: boolean;
                                created_at: string;
                                updated_at: string;
                            }[];
                            total: number;
                            page: number;
                            page_size: number;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Save a storage (a local directory must exist and take a file, or be created with create: true) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        description?: string | null;
                        /** @enum {string} */
                        kind: "local" | "s3";
                        config: {
                            [key: string]: unknown;
                        };
                        /** @description S3 secret key; omit to keep the stored one, null to remove */
                        secret_access_key?: string | null;
                        /** @description Passphrase for archive encryption; omit to keep, null to remove */
                        encryption_secret?: string | null;
                        /** @description local: create the directory (0700) when it does not exist; without it a missing directory is refused with PGF_STORAGE_PATH_MISSING */
                        create?: boolean;
                    };
                };
            };
            responses: {
                /** @description Storage (secrets are never returned) */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            description: string | null;
                            /** @enum {string} */
                            kind: "local" | "s3";
                            /** @description local: {path}; s3: {bucket, prefix, region, endpoint, force_path_style, public_endpoint, access_key_id} */
                            config: {
                                [key: string]: unknown;
                            };
                            has_secret_access_key: boolean;
                            has_encryption_secret: boolean;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/storages/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a storage */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Storage (secrets are never returned) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            description: string | null;
                            /** @enum {string} */
                            kind: "local" | "s3";
                            /** @description local: {path}; s3: {bucket, prefix, region, endpoint, force_path_style, public_endpoint, access_key_id} */
                            config: {
                                [key: string]: unknown;
                            };
                            has_secret_access_key: boolean;
                            has_encryption_secret: boolean;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        /** Replace a storage; secrets not given are kept */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        description?: string | null;
                        /** @enum {string} */
                        kind: "local" | "s3";
                        config: {
                            [key: string]: unknown;
                        };
                        /** @description S3 secret key; omit to keep the stored one, null to remove */
                        secret_access_key?: string | null;
                        /** @description Passphrase for archive encryption; omit to keep, null to remove */
                        encryption_secret?: string | null;
                        /** @description local: create the directory (0700) when it does not exist; without it a missing directory is refused with PGF_STORAGE_PATH_MISSING */
                        create?: boolean;
                    };
                };
            };
            responses: {
                /** @description Storage (secrets are never returned) */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            description: string | null;
                            /** @enum {string} */
                            kind: "local" | "s3";
                            /** @description local: {path}; s3: {bucket, prefix, region, endpoint, force_path_style, public_endpoint, access_key_id} */
                            config: {
                                [key: string]: unknown;
                            };
                            has_secret_access_key: boolean;
                            has_encryption_secret: boolean;
                            created_at: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        post?: never;
        /** Delete a storage (409 while backup jobs use it or it holds backups) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/storages/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Write, read and delete a probe object; free space or bucket reachability */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            ok: boolean;
                            /** @enum {string} */
                            kind: "local" | "s3";
                            target: string;
                            wrote: boolean;
                            freeBytes?: number;
                            bucketExists?: boolean;
                            /** @description The directory or bucket does not exist; /init creates it */
                            missing?: boolean;
                            latencyMs: number;
                            message: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/storages/{id}/init": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create the directory or bucket when missing */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            created: boolean;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/backups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List backups, newest first (keyset paged) */
        get: {
            parameters: {
                query?: {
                    storage_id?: string;
                    backup_job_id?: string;
                    connection_id?: string;
                    database?: string;
                    state?: "complete" | "verified" | "drill_passed" | "drill_failed" | "corrupt" | "expired";
                    include_expired?: boolean;
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                run_id: string | null;
                                backup_job_id: string | null;
                                connection_id: string | null;
                                storage_id: string;
                                database_name: string;
                                location: string;
                                /** @enum {string} */
                                format: "native" | "pg_dump" | "globals" | "physical";
                                /** @enum {string} */
                                compression: "gzip" | "zstd" | "none";
                                encrypted: boolean;
                                size_bytes: number;
                                files: unknown[];
                                tables: unknown[];
                                source_server_version: string | null;
                                /** @enum {string} */
                                state: "complete" | "verified" | "drill_passed" | "drill_failed" | "corrupt" | "expired";
                                verified_at: string | null;
                                drill_at: string | null;
                                drill_result: unknown;
                                expired_at: string | null;
                                created_at: string;
                            }[];
                            next_cursor: string | null;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/backups/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a backup */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Backup */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            run_id: string | null;
                            backup_job_id: string | null;
                            connection_id: string | null;
                            storage_id: string;
                            database_name: string;
                            location: string;
                            /** @enum {string} */
                            format: "native" | "pg_dump" | "globals" | "physical";
                            /** @enum {string} */
                            compression: "gzip" | "zstd" | "none";
                            encrypted: boolean;
                            size_bytes: number;
                            files: unknown[];
                            tables: unknown[];
                            source_server_version: string | null;
                            /** @enum {string} */
                            state: "complete" | "verified" | "drill_passed" | "drill_failed" | "corrupt" | "expired";
                            verified_at: string | null;
                            drill_at: string | null;
                            drill_result: unknown;
                            expired_at: string | null;
                            created_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/backups/{id}/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Check the archive's signature and re-read every file's sha256; records the result */
        post: {
            parameters: {
                query?: {
                    /** @description Pass an unsigned or foreign-signed archive whose files are intact (what a restore with trust_unsigned accepts) */
                    trust_unsigned?: "true" | "false";
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            ok: boolean;
                            checked_bytes: number;
                            /**
                             * @description valid: signed by this instance's key; unsigned; other-key: signed by another key; invalid: altered
                             * @enum {string}
                             */
                            signature: "valid" | "unsigned" | "other-key" | "invalid";
                            /** @description Why the archive fails, when it does */
                            error?: string;
                            files: {
                                path: string;
                                ok: boolean;
                                size: number;
                                reason?: string;
                            }[];
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/backups/{id}/restore": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Queue a restore of the backup into a saved connection (a run of kind restore); --clean needs the connection name typed and is refused on protected connections */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Saved connection to restore into */
                        connection_id: string;
                        /** @description With create: the new database (default: the connection's database) */
                        database?: string;
                        /** @description Create the database first (refused when it exists) */
                        create?: boolean;
                        /** @description Drop the archive's objects in the target first (refused on protected connections) */
                        clean?: boolean;
                        /** @description With clean: the connection name typed to confirm */
                        confirm_name?: string;
                        jobs?: number;
                        tables?: string[];
                        /** @description Restore even when the archive is unsigned (uploaded, or made elsewhere) or its signature does not check: only for archives whose contents you trust */
                        trust_unsigned?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            run_id: string;
                            /** @enum {string} */
                            kind: "restore";
                            status: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/backups/{id}/download": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download the archive as a tar stream; with ?file=PATH one file (on S3: 302 to a presigned URL on the public endpoint) */
        get: {
            parameters: {
                query?: {
                    file?: string;
                    expires_s?: number;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description application/x-tar or the file */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": unknown;
                    };
                };
                /** @description Redirect to a presigned URL */
                302: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/backups/upload": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Upload an archive: a tar of a pgferry archive (application/x-tar) or a `pg_dump -Fc` file (application/octet-stream); verified, then recorded */
        post: {
            parameters: {
                query: {
                    storage_id: string;
                    name?: string;
                    database?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Backup */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            run_id: string | null;
                            backup_job_id: string | null;
                            connection_id: string | null;
                            storage_id: string;
                            database_name: string;
                            location: string;
                            /** @enum {string} */
                            format: "native" | "pg_dump" | "globals" | "physical";
                            /** @enum {string} */
                            compression: "gzip" | "zstd" | "none";
                            encrypted: boolean;
                            size_bytes: number;
                            files: unknown[];
                            tables: unknown[];
                            source_server_version: string | null;
                            /** @enum {string} */
                            state: "complete" | "verified" | "drill_passed" | "drill_failed" | "corrupt" | "expired";
                            verified_at: string | null;
                            drill_at: string | null;
                            drill_result: unknown;
                            expired_at: string | null;
                            created_at: string;
                        };
                    };
                };
                /** @description Error */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
                /** @description Error */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            error: {
                                /** @description Stable error code, e.g. PGF_VALIDATION_FAILED */
                                code: string;
                                message: string;
                                details?: {
                                    [key: string]: unknown;
                                };
                            };
                            requestId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: never;
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
