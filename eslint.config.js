import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import globals from 'globals';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  // AssemblyScript (main/**/assembly) is type-checked by its own compiler, scripts/build-wasm.mjs.
  { ignores: ['out/**', 'node_modules/**', 'test/fixtures/**', 'test-results/**', 'main/**/assembly/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  // Prettier owns formatting; ESLint checks code.
  prettier,
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser }, globals: globals.browser },
  },
  { files: ['renderer/**/*.ts'], languageOptions: { globals: globals.browser } },
  {
    files: ['main/**', 'preload/**', 'scripts/**', 'bench/**', 'bin/**', 'test/**', '*.config.*'],
    languageOptions: { globals: globals.node },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
    },
  },
);
