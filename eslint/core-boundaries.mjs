/**
 * Keeps the core's imports pointing one way. The composition root (`src/main/core/index.ts` and
 * the `compose.ts` and `compose-delivery.ts` it delegates to) imports every service; a service
 * that imported it back, even for a type, would make a cycle through the whole core. The shell (everything under `src/main`
 * outside `core/`: `index.ts`, `ipc.ts`, `shell/`) wraps the core, so the core never imports it;
 * `core/testing.ts` is for tests, never for the app.
 *
 * Specifiers are resolved against the importing file, so `../index` from `core/outbox/` and
 * `./index` from `core/` are caught alike, type-only imports and `import('…')` types included.
 */
import path from 'node:path';

const SOURCE_EXTENSION = /\.(?:[cm]?[jt]s|tsx)$/;

/** The `src/main` and `src/main/core` folders above `file`, or null when it is not under `src/main`. */
function locate(file) {
  const parts = path.resolve(file).split(path.sep);
  for (let i = parts.length - 2; i >= 1; i -= 1) {
    if (parts[i] === 'main' && parts[i - 1] === 'src') {
      const main = parts.slice(0, i + 1).join(path.sep) || path.sep;
      return { main, core: path.join(main, 'core') };
    }
  }
  return null;
}

export const coreBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'The core imports neither its composition root nor the shell; the app never imports the test entry.' },
    schema: [],
    messages: {
      root: 'The core must not import its composition root ({{target}}): take types from core/context.ts or the service itself.',
      shell: 'The core must not import the Electron shell ({{target}}): the shell wraps the core, never the other way round.',
      testing: 'core/testing.ts is the test entry: the app does not import it.',
    },
  },
  create(context) {
    const file = path.resolve(context.filename);
    const where = locate(file);
    if (!where) return {};
    const isCore = file.startsWith(where.core + path.sep);
    const relative = path.relative(where.core, file).replace(SOURCE_EXTENSION, '');
    const isRootItself = relative === 'index' || relative === 'compose' || relative === 'compose-delivery' || relative === 'testing';

    function check(node, specifier) {
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const target = path.resolve(path.dirname(file), specifier).replace(SOURCE_EXTENSION, '');
      const shown = path.relative(path.dirname(where.main), target) || target;
      if (target === path.join(where.core, 'testing')) {
        context.report({ node, messageId: 'testing' });
        return;
      }
      if (!isCore) return;
      const isRoot =
        target === where.core ||
        target === path.join(where.core, 'index') ||
        target === path.join(where.core, 'compose') ||
        target === path.join(where.core, 'compose-delivery');
      if (isRoot && !isRootItself) {
        context.report({ node, messageId: 'root', data: { target: shown } });
        return;
      }
      const isShell = (target === where.main || target.startsWith(where.main + path.sep)) && !isCoreTarget(target);
      if (isShell) context.report({ node, messageId: 'shell', data: { target: shown } });
    }

    function isCoreTarget(target) {
      return target === where.core || target.startsWith(where.core + path.sep);
    }

    const literal = (node) => (node && node.type === 'Literal' ? node.value : undefined);
    return {
      ImportDeclaration: (node) => check(node, literal(node.source)),
      ExportNamedDeclaration: (node) => check(node, literal(node.source)),
      ExportAllDeclaration: (node) => check(node, literal(node.source)),
      ImportExpression: (node) => check(node, literal(node.source)),
      TSExternalModuleReference: (node) => check(node, literal(node.expression)),
      TSImportType: (node) => {
        const source = node.source ?? node.argument;
        check(node, literal(source?.literal ?? source));
      },
    };
  },
};

export default { rules: { 'core-boundaries': coreBoundaries } };
