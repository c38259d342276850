import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'web/dist/', '.pgferry/', 'test-artifacts/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  ...layerRules(),
);

/**
 * The layers of src/, lowest first (docs/architecture.md, "Layers"): a folder imports only
 * from folders listed before it.
 */
function layerRules() {
  const higher = {
    errors: ['config', 'cron', 'engine', 'secrets', 'store', 'net', 'notifications', 'audit', 'auth', 'metrics', 'cache', 'jobs', 'api', 'cli'],
    config: ['cron', 'engine', 'secrets', 'store', 'net', 'notifications', 'audit', 'auth', 'metrics', 'cache', 'jobs', 'api', 'cli'],
    cron: ['config', 'engine', 'secrets', 'store', 'net', 'notifications', 'audit', 'auth', 'metrics', 'cache', 'jobs', 'api', 'cli'],
    cache: ['engine', 'secrets', 'store', 'net', 'notifications', 'audit', 'auth', 'metrics', 'jobs', 'api', 'cli'],
    engine: ['secrets', 'store', 'net', 'notifications', 'audit', 'auth', 'metrics', 'cache', 'jobs', 'api', 'cli'],
    secrets: ['store', 'net', 'notifications', 'audit', 'auth', 'metrics', 'cache', 'jobs', 'api', 'cli'],
    store: ['net', 'notifications', 'audit', 'auth', 'metrics', 'cache', 'jobs', 'api', 'cli'],
    net: ['notifications', 'audit', 'auth', 'metrics', 'cache', 'jobs', 'api', 'cli'],
    notifications: ['audit', 'auth', 'metrics', 'cache', 'jobs', 'api', 'cli'],
    audit: ['auth', 'metrics', 'cache', 'jobs', 'api', 'cli'],
    auth: ['metrics', 'cache', 'jobs', 'api', 'cli'],
    metrics: ['jobs', 'api', 'cli'],
    jobs: ['audit', 'auth', 'api', 'cli'],
    api: ['cli'],
  };
  return Object.entries(higher).map(([layer, forbidden]) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: `^(\\.\\./)+(${forbidden.join('|')})/`, message: `src/${layer} sits below these layers and must not import them (see docs/architecture.md, "Layers").` }] },
      ],
    },
  }));
}
