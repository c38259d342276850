import { Anchor, Button, Group, Paper, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { useSecondFactor } from '../api/auth.js';
import { ApiError } from '../api/http.js';
import { FormErrorAlert } from '../components/query-state.js';

/** The login's second step: the 6-digit code from the authenticator app, or a recovery code. */
export function SecondFactorStep({ challenge, onDone, onCancel }: { challenge: string; onDone: () => void; onCancel: () => void }) {
  const { t } = useTranslation();
  const secondFactor = useSecondFactor();
  const [recovery, setRecovery] = useState(false);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (!code.trim()) return setError(t('validation.required'));
    setError(null);
    secondFactor.mutate(
      { challenge, code: code.trim(), recovery },
      {
        onSuccess: onDone,
        onError: (failure) => {
          setCode('');
          if (failure instanceof ApiError && failure.code === 'PGF_UNAUTHENTICATED') onCancel();
          else if (failure instanceof ApiError && failure.status === 429) setError(t('login.tooMany'));
          else setError(failure);
        },
      },
    );
  };

  return (
    <Paper withBorder shadow="sm" p="xl" radius="md" component="form" onSubmit={submit} noValidate data-testid="second-factor">
      <Stack>
        <Text fw={600}>{t('totp.login.title')}</Text>
        <Text c="dimmed" size="sm">
          {t(recovery ? 'totp.login.recoveryHelp' : 'totp.login.help')}
        </Text>
        <FormErrorAlert error={error} testId="second-factor-error" />
        <TextInput
          key={recovery ? 'recovery' : 'totp'}
          label={t(recovery ? 'totp.login.recoveryCode' : 'totp.login.code')}
          name="code"
          autoComplete="one-time-code"
          inputMode={recovery ? 'text' : 'numeric'}
          value={code}
          onChange={(event) => setCode(event.currentTarget.value)}
          data-testid="second-factor-code"
          autoFocus
        />
        <Button type="submit" loading={secondFactor.isPending} data-testid="second-factor-submit">
          {t('totp.login.submit')}
        </Button>
        <Group justify="space-between">
          <Anchor component="button" type="button" size="sm" onClick={onCancel}>
            {t('common.back')}
          </Anchor>
          <Anchor component="button" type="button" size="sm" onClick={() => setRecovery(!recovery)} data-testid="second-factor-switch">
            {t(recovery ? 'totp.login.useApp' : 'totp.login.useRecovery')}
          </Anchor>
        </Group>
      </Stack>
    </Paper>
  );
}
