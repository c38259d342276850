import { Anchor, Badge, Button, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';

import { type FollowJob, useFollowJobs } from '../../api/follow-jobs.js';
import { PageHeader } from '../../components/page-header.js';
import { Empty, QueryState } from '../../components/query-state.js';
import { formatBytes } from '../../lib/format.js';
import { usePager } from '../../lib/use-pager.js';

export const stateColour: Record<FollowJob['state'], string> = { running: 'teal', waiting: 'yellow', paused: 'gray', disabled: 'gray' };

/** Continuous-sync jobs with their state and last stored lag. */
export default function FollowJobsPage() {
  const { t } = useTranslation();
  const pager = usePager('page');
  const jobs = useFollowJobs(pager.query, { refetchInterval: 5000 });
  return (
    <>
      <PageHeader
        title={t('nav.followJobs')}
        description={t('followJobs.description')}
        actions={
          <Button component={Link} to="/follow-jobs/new" data-testid="new-follow-job">
            {t('followJobs.new')}
          </Button>
        }
      />
      <QueryState query={jobs}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty description={t('followJobs.empty')} />
          ) : (
            <Table striped data-testid="follow-jobs-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('followJobs.name')}</Table.Th>
                  <Table.Th>{t('followJobs.state')}</Table.Th>
                  <Table.Th>{t('followJobs.lag')}</Table.Th>
                  <Table.Th>{t('followJobs.retained')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {page.items.map((job) => (
                  <Table.Tr key={job.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/follow-jobs/${job.id}`}>
                        {job.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <Badge color={stateColour[job.state]}>{t(`followJobs.states.${job.state}`)}</Badge>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{job.progress?.lag_bytes == null ? '—' : `${formatBytes(job.progress.lag_bytes)} / ${job.progress.lag_seconds ?? '?'} s`}</Text>
                    </Table.Td>
                    <Table.Td>{job.progress?.retained_bytes == null ? '—' : formatBytes(job.progress.retained_bytes)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </QueryState>
    </>
  );
}
