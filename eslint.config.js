// `npm run lint`: the recommended rules of @eslint/js and typescript-eslint (type-aware for src/); layout is Prettier's job.
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/', 'build/', 'node_modules/', 'test/foreign/build/', 'src/native/gen/']},
  {
    files: ['src/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {globals: globals.node, parserOptions: {projectService: true, tsconfigRootDir: import.meta.dirname}},
  },
  {
    // oclif's flag `parse` must return a Promise; `async` turns a thrown usage error into the rejection oclif expects.
    files: ['src/cli/flags.ts'],
    rules: {'@typescript-eslint/require-await': 'off'},
  },
  {
    // bench/cluster-up and bench/dds-throughput are Node scripts without an extension.
    files: ['bin/**/*.js', 'bench/**/*.js', 'bench/cluster-up', 'bench/dds-throughput', 'test/**/*.js', '*.js'],
    extends: [js.configs.recommended],
    languageOptions: {sourceType: 'module', globals: globals.node},
  },
  {
    files: ['scripts/**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: {sourceType: 'commonjs', globals: globals.node},
  },
  {
    files: ['test/**/*.js'],
    languageOptions: {globals: {...globals.node, ...globals.mocha}},
    // `const {type, ...rest} = frame` drops fields on purpose.
    rules: {'no-unused-vars': ['error', {ignoreRestSiblings: true}]},
  },
  {
    // The dashboard page's script (served by the instances as it is).
    files: ['templates/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: {sourceType: 'module', globals: globals.browser},
  },
  {
    // These tests hand functions to Playwright, which runs them in the page.
    files: ['test/browser.js', 'test/e2e/browser.test.js', 'test/e2e/browser-auth.test.js', 'test/e2e/dashboard.test.js', 'test/lib/chat/page.test.js'],
    languageOptions: {globals: {...globals.node, ...globals.mocha, ...globals.browser}},
  },
)
