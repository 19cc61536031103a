/**
 * Browser-mode delivery of an export: a Blob behind an a[download] click. The server never
 * writes files for a browser tab, so this is the only way content reaches the user's disk.
 */
export function downloadText(content: string, fileName: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: `${mime};charset=utf-8` }));
  try {
    downloadDataUrl(url, fileName);
  } finally {
    // The click has started the download by now; revoking later frees the memory.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}

export function downloadDataUrl(url: string, fileName: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
}
