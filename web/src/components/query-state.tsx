import { Alert, Button, Center, EmptyState, Group, Loader, Text } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import { ErrorBody } from './error-body.js';

export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  return (
    <Alert color="red" title={t('common.error')} role="alert" data-testid="error-state">
      <ErrorBody error={error} />
      {onRetry ? (
        <Group mt="xs">
          <Button size="xs" variant="light" color="red" onClick={onRetry}>
            {t('common.retry')}
          </Button>
        </Group>
      ) : null}
    </Alert>
  );
}

/** A form's failure above its fields: a sentence of ours (string) or a server error. */
export function FormErrorAlert({ error, testId = 'form-error' }: { error: unknown; testId?: string }) {
  if (error === null || error === undefined || error === '') return null;
  return (
    <Alert color="red" role="alert" data-testid={testId}>
      <ErrorBody error={error} />
    </Alert>
  );
}

export function Empty({ title, description, action }: { title?: string; description?: string; action?: ReactNode }) {
  const { t } = useTranslation();
  return (
    <EmptyState title={title ?? t('common.empty')} description={description} data-testid="empty-state" py="xl">
      {action ? <EmptyState.Actions>{action}</EmptyState.Actions> : null}
    </EmptyState>
  );
}

/** Loading, error (with retry), empty, or the content: every list goes through this. */
export function QueryState<T>({
  query,
  isEmpty,
  empty,
  children,
}: {
  query: UseQueryResult<T>;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const { t } = useTranslation();
  if (query.isPending) {
    return (
      <Center py="xl" data-testid="loading-state">
        <Loader size="sm" />
        <Text ml="sm" c="dimmed" size="sm">
          {t('common.loading')}
        </Text>
      </Center>
    );
  }
  if (query.isError) return <ErrorAlert error={query.error} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(query.data)) return <>{empty ?? <Empty />}</>;
  return <>{children(query.data)}</>;
}
