import { Navigate, Route, Routes } from 'react-router';
import { RequireAuth } from './auth/RequireAuth';
import { Layout } from './components/Layout';
import { AdminPage } from './pages/AdminPage';
import { BucketsPage } from './pages/BucketsPage';
import { DashboardPage } from './pages/DashboardPage';
import { LoginPage } from './pages/LoginPage';
import { S3AccessPage } from './pages/S3AccessPage';
import { SignupPage } from './pages/SignupPage';
import { TieringPage } from './pages/TieringPage';
import type { ReactNode } from 'react';

function Protected({ children }: { children: ReactNode }) {
  return (
    <RequireAuth>
      <Layout>{children}</Layout>
    </RequireAuth>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/signup" element={<SignupPage />} />
      <Route path="/" element={<Protected><DashboardPage /></Protected>} />
      <Route path="/buckets/:name?" element={<Protected><BucketsPage /></Protected>} />
      <Route path="/s3" element={<Protected><S3AccessPage /></Protected>} />
      <Route path="/tiering" element={<Protected><TieringPage /></Protected>} />
      <Route path="/admin" element={<Protected><AdminPage /></Protected>} />
      <Route path="*" element={<Navigate to="/" replace />} />
    </Routes>
  );
}
