import { Alert, Button, Divider } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';

import type { AuthProviders } from '../api/auth-providers.js';

/** The SSO button (a full-page navigation: the provider's pages are not ours) and why the last SSO sign-in failed. */
export function SsoSignIn({ providers, withDivider }: { providers: AuthProviders | undefined; withDivider: boolean }) {
  const { t } = useTranslation();
  const [search] = useSearchParams();
  const failure = search.get('sso_error');
  if (!providers?.sso.enabled) return null;
  return (
    <>
      {failure && (
        <Alert color="red" data-testid="sso-error">
          {t('login.ssoFailed', { reason: t([`errors.codes.${failure}`, 'login.ssoFailedUnknown']) })}
        </Alert>
      )}
      <Button component="a" href={providers.sso.login_url} variant="default" data-testid="sso-login">
        {t('login.sso', { label: providers.sso.label })}
      </Button>
      {withDivider && <Divider label={t('login.or')} labelPosition="center" />}
    </>
  );
}
