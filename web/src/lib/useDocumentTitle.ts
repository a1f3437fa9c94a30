import { useEffect } from 'react';

/** Names the browser tab after the page, which is also what screen readers announce on arrival. */
export function useDocumentTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · Tiergate` : 'Tiergate';
  }, [title]);
}
