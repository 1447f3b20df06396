import { useEffect, type RefObject } from 'react';

const CANDIDATES = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]';

/** What Tab stops on inside `root`, in order: a radio group is one stop, its checked radio when it has one. */
export function tabStops(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(CANDIDATES)].filter((element) => {
    if (element.tabIndex < 0 || element.getClientRects().length === 0) return false;
    if (element instanceof HTMLInputElement && element.type === 'radio' && !element.checked) {
      return root.querySelector(`input[type="radio"][name="${CSS.escape(element.name)}"]:checked`) === null;
    }
    return true;
  });
}

/**
 * Keeps Tab and Shift+Tab inside `ref` while the component is mounted, wrapping at either end:
 * a modal dialog's page behind it is not reachable by keyboard either.
 */
export function useFocusTrap(ref: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => {
      const root = ref.current;
      if (event.key !== 'Tab' || event.altKey || event.ctrlKey || event.metaKey || root === null) return;
      const stops = tabStops(root);
      const first = stops[0];
      const last = stops.at(-1);
      if (first === undefined || last === undefined) {
        event.preventDefault();
        return;
      }
      const active = document.activeElement;
      const isInside = active !== null && root.contains(active);
      if (event.shiftKey && (!isInside || active === first || active === root)) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (!isInside || active === last)) {
        event.preventDefault();
        first.focus();
      }
    };
    // Capture: before anything in the page can act on the key.
    document.addEventListener('keydown', onKeyDown, true);
    return () => document.removeEventListener('keydown', onKeyDown, true);
  }, [ref]);
}
