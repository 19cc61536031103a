import { join } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import globals from 'globals';
import prettier from 'eslint-config-prettier';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

const root = import.meta.dirname;

// ------------------------------------------------------------------ layers and import cycles
// Data flows one way (docs/architecture.md): file → reader (main/formats) → model (main/model)
// → query (main/query) → display-sized result (shared/api.ts) → view (renderer), with the
// engine, exports and transports (CLI, server, Electron shell) on top. A layer never imports
// one above it; test-only code may import anything.

/** The folders above the readers: the engine, exports and the transports. */
const TOP = ['main/engine', 'main/cli', 'main/server', 'main/export', 'main/shell', 'main/index.ts'];
const LAYERS = [
  { layer: 'shared', mayNotImport: ['main', 'renderer', 'preload'] },
  { layer: 'renderer', mayNotImport: ['main', 'preload'] },
  // Native symbols reach the model through the Symbolizer interface it is handed
  // (main/model/symbolizer.ts), never by import.
  { layer: 'main/model', mayNotImport: ['main/formats', 'main/symbols', 'main/query', ...TOP] },
  { layer: 'main/query', mayNotImport: ['main/formats', 'main/symbols', ...TOP] },
  { layer: 'main/formats', mayNotImport: TOP },
];

/**
 * Imports that break a layer, allowed file by file so that any new one still fails: entries of
 * `{ file, imports, why }`, each `why` saying what removes it. None today; keep it that way.
 */
export const KNOWN_LAYER_EXCEPTIONS = [];

/** Source files the layer rules apply to: everything but tests and test helpers. */
const LAYERED = [
  'main/**/*.ts',
  'shared/**/*.ts',
  'renderer/**/*.ts',
  'renderer/**/*.vue',
  'preload/**/*.ts',
];
const TEST_ONLY = ['**/*.test.ts', 'main/**/testing/**'];

/** One zone per (layer, forbidden folder), so an exception names exactly one imported file. */
function layerZones(allowed) {
  return LAYERS.flatMap(({ layer, mayNotImport }) =>
    mayNotImport.map((from) => ({
      target: `${layer}/**`,
      from,
      except: allowed
        .filter((file) => file.startsWith(`${from}/`))
        .map((file) => `./${file.slice(from.length + 1)}`),
      message: `${layer} may not import ${from} (layers: docs/architecture.md).`,
    })),
  );
}

export const layerRule = (allowed) => ['error', { basePath: root, zones: layerZones(allowed) }];

const layerConfigs = [
  {
    files: LAYERED,
    ignores: TEST_ONLY,
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.vue', '.mjs', '.js', '.json'],
          alias: { '@shared': [join(root, 'shared')] },
        }),
      ],
      // Followed for cycles: TypeScript and JavaScript modules (Vue components are checked for
      // layers but not followed: nothing below the views imports them).
      'import-x/extensions': ['.ts', '.mjs', '.js'],
    },
    rules: {
      // Type-only imports vanish at run time and are not followed (the rule's own choice).
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': layerRule([]),
    },
  },
  ...[...new Set(KNOWN_LAYER_EXCEPTIONS.map((e) => e.file))].map((file) => ({
    files: [file],
    rules: {
      'import-x/no-restricted-paths': layerRule(
        KNOWN_LAYER_EXCEPTIONS.filter((e) => e.file === file).map((e) => e.imports),
      ),
    },
  })),
];

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
  ...layerConfigs,
);
