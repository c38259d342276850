import { Button, Group, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { Page } from '../api/http.js';
import type { usePager } from '../lib/use-pager.js';

export function PagerControls({ pager, data }: { pager: ReturnType<typeof usePager>; data: Page<unknown> | undefined }) {
  const { t } = useTranslation();
  if (!pager.hasPrevious && !pager.hasNext(data)) return null;
  return (
    <Group justify="flex-end" mt="sm" gap="xs">
      {data?.total !== undefined ? (
        <Text size="sm" c="dimmed">
          {t('common.total', { count: data.total })}
        </Text>
      ) : null}
      <Button size="xs" variant="default" disabled={!pager.hasPrevious} onClick={pager.previous}>
        {t('common.previous')}
      </Button>
      <Button size="xs" variant="default" disabled={!pager.hasNext(data)} onClick={() => pager.next(data)}>
        {t('common.next')}
      </Button>
    </Group>
  );
}
