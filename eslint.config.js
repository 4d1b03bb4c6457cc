// typescript-eslint's recommended rules over the sources, tests, scripts and benchmarks
// (`npm run lint`, also run by `npm test`). Unused variables are errors; a name that starts
// with `_` is the way to say "unused on purpose" (a callback's position, a destructured rest).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.invito/', '.ci/node24/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', performance: 'readonly', fetch: 'readonly', AbortController: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', URLSearchParams: 'readonly', document: 'readonly', window: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Migrations and the prepared-statement runner work on a schema as it is at that point, not
    // on today's Database type: Kysely's own migration docs type them Kysely<any>.
    files: ['src/store/migrations*.ts', 'src/store/prepared.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
