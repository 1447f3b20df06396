/** Copies text; a denied clipboard is not worth an error toast, the id stays on screen. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
