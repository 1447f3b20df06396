/**
 * The import rule that keeps the core free of cycles through its composition root, run through
 * the repository's own ESLint config on files that break it on purpose, so the rule is shown to
 * fail, not only to pass.
 */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const RULE = 'nova/core-boundaries';
const eslint = new ESLint({ cwd: ROOT });

/** The rule's messages for `code` as if it were saved at `file` (the file need not exist). */
async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? []).filter((message) => message.ruleId === RULE).map((message) => message.messageId ?? '');
}

describe('core import boundaries (eslint rule nova/core-boundaries)', () => {
  it('refuses a service importing the composition root, type-only and re-exports included', async () => {
    expect(await violations('src/main/core/outbox/bad.ts', "import type { Handlers } from '../index';\nexport type X = Handlers;\n")).toEqual(['root']);
    expect(await violations('src/main/core/outbox/bad.ts', "import type { Core } from '..';\nexport type X = Core;\n")).toEqual(['root']);
    expect(await violations('src/main/core/bad.ts', "export { createCore } from './index';\n")).toEqual(['root']);
    expect(await violations('src/main/core/bad.ts', "export * from './compose';\n")).toEqual(['root']);
    expect(await violations('src/main/core/outbox/bad.ts', "import { composeOutbox } from '../compose-delivery';\nexport const x = composeOutbox;\n")).toEqual(['root']);
    expect(await violations('src/main/core/sync/deep/bad.ts', "export type X = import('../../index').Core;\n")).toEqual(['root']);
  });

  it('refuses the core importing the shell', async () => {
    expect(await violations('src/main/core/bad.ts', "import type { TrustPolicy } from '../ipc';\nexport type X = TrustPolicy;\n")).toEqual(['shell']);
    expect(await violations('src/main/core/connection/bad.ts', "import '../../index';\n")).toEqual(['shell']);
    expect(await violations('src/main/core/support/bad.ts', "import type { Runtime } from '../../shell/runtime';\nexport type X = Runtime;\n")).toEqual(['shell']);
  });

  it('refuses the app importing the test entry', async () => {
    expect(await violations('src/main/ipc.ts', "export { createCoreForTests } from './core/testing';\n")).toEqual(['testing']);
    expect(await violations('src/main/shell/runtime.ts', "export { createCoreForTests } from '../core/testing';\n")).toEqual(['testing']);
    expect(await violations('src/main/core/bad.ts', "export { createCoreForTests } from './testing';\n")).toEqual(['testing']);
  });

  it('allows what the map allows: context, sibling services, the root importing services, the shell importing the core', async () => {
    expect(await violations('src/main/core/outbox/ok.ts', "import type { CoreContext } from '../context';\nimport type { DB } from '../store/database';\nexport type X = [CoreContext, DB];\n")).toEqual([]);
    expect(await violations('src/main/core/outbox/ok.ts', "export * from './index';\n")).toEqual([]);
    expect(await violations('src/main/core/index.ts', "export * from './compose';\n")).toEqual([]);
    expect(await violations('src/main/core/compose.ts', "import { composeOutbox } from './compose-delivery';\nexport const x = composeOutbox;\n")).toEqual([]);
    expect(await violations('src/main/ipc.ts', "import type { Handlers } from './core';\nexport type X = Handlers;\n")).toEqual([]);
    expect(await violations('src/main/shell/runtime.ts', "import { createCore } from '../core';\nexport const x = createCore;\n")).toEqual([]);
  });
});
