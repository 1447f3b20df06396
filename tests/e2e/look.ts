/**
 * Looking at a screen in both themes: screenshots (test-results/<name>-light.png and -dark.png)
 * and axe-core's accessibility rules. The page must be on the `system` theme (the default): the
 * helpers switch the emulated OS setting, which is what the app follows.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { screenshotPath } from './harness';

export const THEMES = ['light', 'dark'] as const;
export type ThemeName = (typeof THEMES)[number];

/** Switches the emulated OS colour scheme and waits until the page applied it. */
export async function useSystemTheme(page: Page, theme: ThemeName): Promise<void> {
  await page.emulateMedia({ colorScheme: theme });
  await page.waitForFunction((expected) => document.documentElement.dataset['theme'] === expected, theme);
}

/** One screenshot per theme: test-results/<name>-light.png, test-results/<name>-dark.png. */
export async function shotBothThemes(page: Page, name: string): Promise<void> {
  for (const theme of THEMES) {
    await useSystemTheme(page, theme);
    await page.screenshot({ path: screenshotPath(`${name}-${theme}`) });
  }
}

export type A11yViolation = Readonly<{ theme: ThemeName; id: string; impact: string; targets: string[]; summary: string }>;

/** axe-core's serious and critical findings on the page as it is, in the current theme. */
export async function seriousViolations(page: Page, theme: ThemeName): Promise<A11yViolation[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({
      theme,
      id: violation.id,
      impact: violation.impact ?? '',
      targets: violation.nodes.map((node) => node.target.join(' ')),
      summary: violation.nodes[0]?.failureSummary ?? violation.help,
    }));
}

/** Screenshots and axe in both themes; answers every serious or critical finding. */
export async function lookAtBothThemes(page: Page, name: string): Promise<A11yViolation[]> {
  const found: A11yViolation[] = [];
  for (const theme of THEMES) {
    await useSystemTheme(page, theme);
    found.push(...(await seriousViolations(page, theme)));
    await page.screenshot({ path: screenshotPath(`${name}-${theme}`) });
  }
  return found;
}

export type SmallTarget = Readonly<{ target: string; width: number; height: number }>;

/**
 * Every clickable target on the page smaller than 24×24 CSS px (WCAG 2.2 target size, 2.5.8),
 * measured rather than left to axe's spacing allowance. A checkbox or radio counts by its label
 * when it has one (the label is what takes the click); a link inside a sentence is exempt, as in
 * WCAG. Targets not rendered (display none, zero size) are skipped.
 */
export async function smallTargets(page: Page): Promise<SmallTarget[]> {
  return page.evaluate((min) => {
    const found: Array<{ target: string; width: number; height: number }> = [];
    const seen = new Set<Element>();
    const clickable = 'button, a[href], input:not([type="hidden"]), select, textarea, summary, [role="button"], [role="option"], [role="tab"]';
    for (const element of document.querySelectorAll(clickable)) {
      const isToggle = element instanceof HTMLInputElement && (element.type === 'checkbox' || element.type === 'radio');
      const target = isToggle ? (element.closest('label') ?? element) : element;
      if (seen.has(target)) continue;
      seen.add(target);
      const style = getComputedStyle(target);
      const rect = target.getBoundingClientRect();
      if (style.visibility === 'hidden' || style.display === 'none' || rect.width === 0 || rect.height === 0) continue;
      const isInlineLink = target.tagName === 'A' && style.display === 'inline' && (target.parentElement?.textContent?.trim().length ?? 0) > (target.textContent?.trim().length ?? 0);
      if (isInlineLink) continue;
      if (rect.width + 0.01 < min || rect.height + 0.01 < min) {
        const name = target.getAttribute('aria-label') ?? target.getAttribute('data-testid') ?? target.textContent?.trim().slice(0, 30) ?? '';
        found.push({ target: `${target.tagName.toLowerCase()}${target.className ? `.${String(target.className).split(' ').join('.')}` : ''} "${name}"`, width: Math.round(rect.width * 10) / 10, height: Math.round(rect.height * 10) / 10 });
      }
    }
    return found;
  }, 24);
}
