// ESLint: typescript-eslint's type-checked rules over the TypeScript of src/, web/src/, test/, bench/ and
// scripts/ (each file checked with the types of its own tsconfig), the recommended rules over the plain
// JavaScript launcher and scripts. Formatting is Prettier's business (`npm run format`), not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** node:test's describe/it/hooks return promises the runner itself awaits. */
const NODE_TEST_CALLS = ['describe', 'it', 'test', 'before', 'after', 'beforeEach', 'afterEach', 'suite'];

export default tseslint.config(
  { ignores: ['dist/', 'web/dist/', 'node_modules/', 'cdk.out/', 'coverage/'] },
  {
    files: ['**/*.{js,mjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['web/vite.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: NODE_TEST_CALLS }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Ports return promises; their in-memory and fake implementations stay `async` without an await inside so
      // that a throw reaches the caller as a rejection, as it would from the real adapter.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read the CLI's and the API's JSON output as untyped values (`JSON.parse(r.stdout).segments`):
    // typing every document there would be noise, and a wrong field fails the assertion that reads it.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
