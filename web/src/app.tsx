import { Center, Loader } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import type { i18n } from 'i18next';
import { Suspense, lazy, useEffect } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';

import { authKeys, useMe } from './api/auth.js';
import { setUnauthorizedHandler } from './api/http.js';
import { useTotpStatus } from './api/totp.js';
import { AppLayout } from './components/app-layout.js';
import { ErrorAlert } from './components/query-state.js';
import { LoginPage } from './pages/login-page.js';
import { Providers } from './providers.js';

const DashboardPage = lazy(() => import('./pages/dashboard-page.js'));
const ConnectionsPage = lazy(() => import('./pages/connections/connections-page.js'));
const ConnectionBrowsePage = lazy(() => import('./pages/connections/connection-browse-page.js'));
const ConnectionProtectionPage = lazy(() => import('./pages/connections/connection-protection-page.js'));
const SyncJobsPage = lazy(() => import('./pages/sync-jobs/sync-jobs-page.js'));
const SyncJobFormPage = lazy(() => import('./pages/sync-jobs/sync-job-form-page.js'));
const FollowJobsPage = lazy(() => import('./pages/follow-jobs/follow-jobs-page.js'));
const FollowJobFormPage = lazy(() => import('./pages/follow-jobs/follow-job-form-page.js'));
const FollowJobPage = lazy(() => import('./pages/follow-jobs/follow-job-page.js'));
const BackupJobsPage = lazy(() => import('./pages/backup-jobs/backup-jobs-page.js'));
const BackupJobFormPage = lazy(() => import('./pages/backup-jobs/backup-job-form-page.js'));
const BackupsPage = lazy(() => import('./pages/backups/backups-page.js'));
const StoragesPage = lazy(() => import('./pages/storages-page.js'));
const RunsPage = lazy(() => import('./pages/runs/runs-page.js'));
const RunDetailPage = lazy(() => import('./pages/runs/run-detail-page.js'));
const ChannelsPage = lazy(() => import('./pages/channels-page.js'));
const UsersPage = lazy(() => import('./pages/users-page.js'));
const TokensPage = lazy(() => import('./pages/tokens-page.js'));
const AuditLogPage = lazy(() => import('./pages/audit-log-page.js'));
const AccountSecurityPage = lazy(() => import('./pages/account-security-page.js'));
const securityPath = '/account/security';

function Loading() {
  return (
    <Center h="60vh">
      <Loader />
    </Center>
  );
}

function Authenticated() {
  const me = useMe();
  const client = useQueryClient();
  const location = useLocation();
  const totp = useTotpStatus(Boolean(me.data));
  useEffect(() => {
    setUnauthorizedHandler(() => client.setQueryData(authKeys.me, null));
    return () => setUnauthorizedHandler(null);
  }, [client]);
  if (me.isPending) return <Loading />;
  if (me.isError) return <ErrorAlert error={me.error} onRetry={() => void me.refetch()} />;
  if (!me.data) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  // PGFERRY_REQUIRE_2FA_FOR_ADMINS: every other page would answer 403 until the admin enrols.
  if (totp.data?.required && !totp.data.enabled && location.pathname !== securityPath) return <Navigate to={securityPath} replace />;
  return (
    <AppLayout me={me.data}>
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route index element={<DashboardPage />} />
          <Route path="connections" element={<ConnectionsPage />} />
          <Route path="connections/:id/browse" element={<ConnectionBrowsePage />} />
          <Route path="connections/:id/protection" element={<ConnectionProtectionPage />} />
          <Route path="sync-jobs" element={<SyncJobsPage />} />
          <Route path="sync-jobs/new" element={<SyncJobFormPage />} />
          <Route path="sync-jobs/:id" element={<SyncJobFormPage />} />
          <Route path="follow-jobs" element={<FollowJobsPage />} />
          <Route path="follow-jobs/new" element={<FollowJobFormPage />} />
          <Route path="follow-jobs/:id" element={<FollowJobPage />} />
          <Route path="backup-jobs" element={<BackupJobsPage />} />
          <Route path="backup-jobs/new" element={<BackupJobFormPage />} />
          <Route path="backup-jobs/:id" element={<BackupJobFormPage />} />
          <Route path="backups" element={<BackupsPage />} />
          <Route path="storages" element={<StoragesPage />} />
          <Route path="runs" element={<RunsPage />} />
          <Route path="runs/:id" element={<RunDetailPage />} />
          <Route path="notification-channels" element={<ChannelsPage />} />
          <Route path="users" element={<UsersPage />} />
          <Route path="tokens" element={<TokensPage />} />
          <Route path="audit-log" element={<AuditLogPage />} />
          <Route path={securityPath.slice(1)} element={<AccountSecurityPage />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </Suspense>
    </AppLayout>
  );
}

export function App({ i18n }: { i18n: i18n }) {
  return (
    <Providers i18n={i18n}>
      <BrowserRouter>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route path="/*" element={<Authenticated />} />
        </Routes>
      </BrowserRouter>
    </Providers>
  );
}
