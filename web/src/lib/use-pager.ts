import { useState } from 'react';

import type { Page } from '../api/http.js';

/**
 * Paging over either list shape the API answers: `{items,next_cursor}` (a stack of cursors
 * for "previous") or `{items,total,page,page_size}`.
 */
export function usePager(style: 'cursor' | 'page' = 'cursor', pageSize = 25) {
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState(1);
  const cursor = cursors.at(-1);
  return {
    query: style === 'cursor' ? { limit: pageSize, ...(cursor ? { cursor } : {}) } : { page, page_size: pageSize },
    page,
    reset: () => {
      setCursors([]);
      setPage(1);
    },
    hasPrevious: cursors.length > 0 || page > 1,
    hasNext: (data: Page<unknown> | undefined) =>
      Boolean(data?.next_cursor) || (data?.total !== undefined && page * (data.page_size ?? pageSize) < data.total),
    next: (data: Page<unknown> | undefined) => {
      if (data?.next_cursor) setCursors((previous) => [...previous, data.next_cursor as string]);
      else setPage((previous) => previous + 1);
    },
    previous: () => {
      if (cursors.length > 0) setCursors((previous) => previous.slice(0, -1));
      else setPage((previous) => Math.max(1, previous - 1));
    },
  };
}
