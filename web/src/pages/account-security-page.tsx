import { Alert, Badge, Button, Card, Code, CopyButton, Group, Image, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type TotpEnrolment, useConfirmTotp, useDisableTotp, useRegenerateRecoveryCodes, useStartTotp, useTotpStatus } from '../api/totp.js';
import { PageHeader } from '../components/page-header.js';
import { FormErrorAlert, QueryState } from '../components/query-state.js';

/** Recovery codes, shown once: the page keeps them only until the user says they are saved. */
function RecoveryCodes({ codes, onSaved }: { codes: string[]; onSaved: () => void }) {
  const { t } = useTranslation();
  const text = codes.join('\n');
  return (
    <Stack>
      <Alert color="yellow">{t('totp.recovery.shownOnce')}</Alert>
      <Code block data-testid="recovery-codes">
        {text}
      </Code>
      <Group justify="flex-end">
        <CopyButton value={text}>{({ copied, copy }) => <Button variant="light" onClick={copy}>{copied ? t('common.copied') : t('common.copy')}</Button>}</CopyButton>
        <Button onClick={onSaved} data-testid="recovery-saved">
          {t('totp.recovery.saved')}
        </Button>
      </Group>
    </Stack>
  );
}

/** A code (or password) field with its button, for the changes that need proof. */
function CodeAction({ label, action, testId, secret, run, pending, error }: { label: string; action: string; testId: string; secret?: boolean; run: (value: string) => void; pending: boolean; error: unknown }) {
  const [value, setValue] = useState('');
  const Input = secret ? PasswordInput : TextInput;
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (value.trim()) run(value.trim());
    setValue('');
  };
  return (
    <Stack component="form" onSubmit={submit} gap="xs">
      <FormErrorAlert error={error} testId={`${testId}-error`} />
      <Group align="flex-end">
        <Input label={label} value={value} onChange={(event) => setValue(event.currentTarget.value)} autoComplete={secret ? 'current-password' : 'one-time-code'} data-testid={`${testId}-input`} />
        <Button type="submit" loading={pending} data-testid={testId}>
          {action}
        </Button>
      </Group>
    </Stack>
  );
}

function Enrolment({ enrolment, onCodes }: { enrolment: TotpEnrolment; onCodes: (codes: string[]) => void }) {
  const { t } = useTranslation();
  const confirm = useConfirmTotp();
  return (
    <Stack>
      <Text size="sm">{t('totp.enrol.scan')}</Text>
      <Image src={enrolment.qr_data_url} alt={t('totp.enrol.qrAlt')} w={240} h={240} data-testid="totp-qr" />
      <Text size="sm">{t('totp.enrol.orType')}</Text>
      <Code data-testid="totp-secret">{enrolment.secret}</Code>
      <CodeAction label={t('totp.login.code')} action={t('totp.enrol.confirm')} testId="totp-confirm" run={(code) => confirm.mutate(code, { onSuccess: (answer) => onCodes(answer.recovery_codes) })} pending={confirm.isPending} error={confirm.error} />
    </Stack>
  );
}

function Enabled({ recoveryCodesLeft, onCodes }: { recoveryCodesLeft: number; onCodes: (codes: string[]) => void }) {
  const { t } = useTranslation();
  const regenerate = useRegenerateRecoveryCodes();
  const disable = useDisableTotp();
  return (
    <Stack>
      <Text size="sm">{t('totp.status.recoveryLeft', { count: recoveryCodesLeft })}</Text>
      <CodeAction label={t('totp.login.code')} action={t('totp.recovery.regenerate')} testId="totp-regenerate" run={(code) => regenerate.mutate(code, { onSuccess: (answer) => onCodes(answer.recovery_codes) })} pending={regenerate.isPending} error={regenerate.error} />
      <CodeAction label={t('login.password')} action={t('totp.disable')} testId="totp-disable" secret run={(password) => disable.mutate({ password })} pending={disable.isPending} error={disable.error} />
    </Stack>
  );
}

/** The signed-in user's own two-factor sign-in: enrol an authenticator app, recovery codes, disable. */
export default function AccountSecurityPage() {
  const { t } = useTranslation();
  const status = useTotpStatus();
  const start = useStartTotp();
  // Held here, not in the form that fetched them: they must stay on screen after the status changes.
  const [codes, setCodes] = useState<string[] | null>(null);
  const saved = () => {
    setCodes(null);
    start.reset();
  };
  return (
    <>
      <PageHeader title={t('totp.title')} description={t('totp.description')} />
      <QueryState query={status}>
        {(totp) => (
          <Card withBorder maw={640}>
            <Stack>
              <Group justify="space-between">
                <Title order={4}>{t('totp.app')}</Title>
                <Badge color={totp.enabled ? 'green' : 'gray'} data-testid="totp-state">
                  {t(totp.enabled ? 'totp.status.on' : 'totp.status.off')}
                </Badge>
              </Group>
              {totp.required && !totp.enabled ? <Alert color="orange" data-testid="totp-required">{t('totp.required')}</Alert> : null}
              {codes ? <RecoveryCodes codes={codes} onSaved={saved} /> : null}
              {!codes && totp.enabled ? <Enabled recoveryCodesLeft={totp.recovery_codes_left} onCodes={setCodes} /> : null}
              {!codes && !totp.enabled && start.data ? <Enrolment key={start.data.secret} enrolment={start.data} onCodes={setCodes} /> : null}
              {!codes && !totp.enabled && !start.data ? (
                <Stack>
                  <FormErrorAlert error={start.error} />
                  <Group>
                    <Button onClick={() => start.mutate()} loading={start.isPending} data-testid="totp-start">
                      {t('totp.enrol.start')}
                    </Button>
                  </Group>
                </Stack>
              ) : null}
            </Stack>
          </Card>
        )}
      </QueryState>
    </>
  );
}
