import { Anchor, Button, Center, Group, Paper, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation, useNavigate, useSearchParams } from 'react-router-dom';

import { useLogin, useMe } from '../api/auth.js';
import { useAuthProviders } from '../api/auth-providers.js';
import { ApiError } from '../api/http.js';
import { errorText } from '../components/field-error.js';
import { Logo } from '../components/logo.js';
import { Preferences } from '../components/preferences.js';
import { useForm } from '../lib/use-form.js';
import { FormErrorAlert } from '../components/query-state.js';
import { SecondFactorStep } from './second-factor-step.js';
import { SsoSignIn } from './sso-sign-in.js';

const validate = (values: { username: string; password: string }) => ({
  username: values.username.trim() ? undefined : 'validation.required',
  password: values.password ? undefined : 'validation.required',
});

export function LoginPage() {
  const { t } = useTranslation();
  const me = useMe();
  const login = useLogin();
  const navigate = useNavigate();
  const location = useLocation();
  const form = useForm({ username: '', password: '' }, validate);
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  const [challenge, setChallenge] = useState<string | null>(null);
  const providers = useAuthProviders();
  const [search] = useSearchParams();
  // With password login off, its form is only for the break-glass user, behind a small link.
  const showPassword = providers.data?.local_login !== 'off' || search.get('local') === '1';

  if (me.data) return <Navigate to={from} replace />;

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (!form.check()) return;
    login.mutate(form.values, {
      onSuccess: (outcome) => (outcome.challenge ? setChallenge(outcome.challenge) : navigate(from, { replace: true })),
      onError: (error) => {
        if (error instanceof ApiError && error.status === 401) form.setFormError(t('login.invalid'));
        else if (error instanceof ApiError && error.status === 429) form.setFormError(t('login.tooMany'));
        else form.showServerError(error);
      },
    });
  };

  return (
    <Center mih="100vh" p="md">
      <Stack w={380} maw="100%">
        <Group justify="flex-end">
          <Preferences />
        </Group>
        {challenge ? <SecondFactorStep challenge={challenge} onDone={() => navigate(from, { replace: true })} onCancel={() => setChallenge(null)} /> : null}
        {/* Hidden, not unmounted, during the second step: "Back" returns to the filled-in form. */}
        <Paper withBorder shadow="sm" p="xl" radius="md" component="form" onSubmit={submit} noValidate display={challenge ? 'none' : undefined}>
          <Stack>
            <Logo order={2} />
            <Text c="dimmed" size="sm">
              {t('login.subtitle')}
            </Text>
            <SsoSignIn providers={providers.data} withDivider={showPassword} />
            {showPassword ? (
              <>
            <FormErrorAlert error={form.formError} testId="login-error" />
            <TextInput
              label={t('login.username')}
              name="username"
              autoComplete="username"
              value={form.values.username}
              onChange={(event) => form.set('username', event.currentTarget.value)}
              error={errorText(t, form.errors.username)}
              autoFocus
            />
            <PasswordInput
              label={t('login.password')}
              name="password"
              autoComplete="current-password"
              value={form.values.password}
              onChange={(event) => form.set('password', event.currentTarget.value)}
              error={errorText(t, form.errors.password)}
            />
            <Button type="submit" loading={login.isPending} data-testid="login-submit">
              {t('login.submit')}
            </Button>
              </>
            ) : (
              <Anchor href="/login?local=1" size="xs" ta="center" data-testid="break-glass-login">
                {t('login.breakGlass')}
              </Anchor>
            )}
          </Stack>
        </Paper>
      </Stack>
    </Center>
  );
}
