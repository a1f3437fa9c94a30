import { useCallback } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { queryKeys } from '../api/queries';
import { FileList } from '../components/FileList';
import { UploadArea } from '../components/UploadArea';
import { UsagePanel } from '../components/UsagePanel';
import { useDocumentTitle } from '../lib/useDocumentTitle';

export function DashboardPage() {
  useDocumentTitle('Files');
  const queryClient = useQueryClient();
  const refreshLists = useCallback(() => {
    // The files prefix covers the usage too (queryKeys.usage).
    void queryClient.invalidateQueries({ queryKey: queryKeys.files });
    void queryClient.invalidateQueries({ queryKey: queryKeys.tieringSummary });
  }, [queryClient]);

  return (
    <>
      <h1 className="page-title">Files</h1>
      <UsagePanel />
      <UploadArea onUploaded={refreshLists} />
      <FileList />
    </>
  );
}
