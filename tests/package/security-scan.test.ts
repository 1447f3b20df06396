/**
 * The security gate's verdict. The scan itself (`npm run security:scan`) needs the tool installed
 * and about 15 s, so it runs from .ci/run; this pins the rules it applies to the tool's findings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateFindings, justifiedChecks, toFindings, type ToolIssue } from '../../scripts/security-scan';

const issue = (id: string, severity: string, file = 'main/index.ts'): ToolIssue => ({
  id,
  file,
  description: `${id} found`,
  location: { line: 3, column: 7 },
  severity: { name: severity },
  confidence: { name: 'FIRM' },
});

const doc = `# Security

## Fixed
- \`SANDBOX_JS_CHECK\` was fixed.

## Accepted findings
- \`OPEN_EXTERNAL_JS_CHECK\` (MEDIUM): reviewed.
- \`CSP_GLOBAL_CHECK\` (LOW): reviewed.
- \`CONTEXT_ISOLATION_JS_CHECK\`: cannot excuse a HIGH.

## Later
- \`AUXCLICK_JS_CHECK\` is only mentioned.
`;

describe('security scan verdict', () => {
  it('reads the findings the tool reports, prefixed with the scanned folder', () => {
    expect(toFindings([issue('OPEN_EXTERNAL_JS_CHECK', 'medium')], 'src')).toEqual([
      { id: 'OPEN_EXTERNAL_JS_CHECK', severity: 'MEDIUM', confidence: 'FIRM', file: 'src/main/index.ts', location: '3:7', description: 'OPEN_EXTERNAL_JS_CHECK found' },
    ]);
  });

  it('counts only the checks listed under "Accepted findings"', () => {
    expect([...justifiedChecks(doc)].sort()).toEqual(['CONTEXT_ISOLATION_JS_CHECK', 'CSP_GLOBAL_CHECK', 'OPEN_EXTERNAL_JS_CHECK']);
  });

  it('passes justified findings below HIGH', () => {
    const findings = toFindings([issue('OPEN_EXTERNAL_JS_CHECK', 'MEDIUM'), issue('CSP_GLOBAL_CHECK', 'LOW')], 'src');
    expect(evaluateFindings(findings, justifiedChecks(doc)).passed).toBe(true);
  });

  it('fails on a HIGH finding even when the document names its check', () => {
    const verdict = evaluateFindings(toFindings([issue('CONTEXT_ISOLATION_JS_CHECK', 'HIGH')], 'src'), justifiedChecks(doc));
    expect(verdict.passed).toBe(false);
    expect(verdict.high.map((finding) => finding.id)).toEqual(['CONTEXT_ISOLATION_JS_CHECK']);
  });

  it('fails on a finding whose check is not justified', () => {
    const verdict = evaluateFindings(toFindings([issue('SANDBOX_JS_CHECK', 'MEDIUM'), issue('AUXCLICK_JS_CHECK', 'MEDIUM')], 'out'), justifiedChecks(doc));
    expect(verdict.passed).toBe(false);
    expect(verdict.unjustified.map((finding) => finding.id)).toEqual(['SANDBOX_JS_CHECK', 'AUXCLICK_JS_CHECK']);
  });

  it('justifies only findings below HIGH in the real docs/security.md', () => {
    const justified = justifiedChecks(fs.readFileSync(path.resolve(__dirname, '../../docs/security.md'), 'utf8'));
    expect([...justified].sort()).toEqual(['CSP_GLOBAL_CHECK']);
  });
});
