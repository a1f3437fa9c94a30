import { useEffect, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { NavLink } from 'react-router';
import { onAdminRefused } from '../api/client';
import { queryKeys, useMe } from '../api/queries';
import { useAuth, useSession } from '../auth/AuthContext';
import { updateSession } from '../auth/session';

/**
 * The signed-in frame: skip link, navbar with the user's e-mail and logout, then the page.
 * It asks /api/auth/me who the user is now, so that admin rights granted or taken back since
 * the login show (the Admin link, the admin tools of the Tiering page) without logging in again:
 * on every page, when the window gets the focus back, once a minute, and at once when the API
 * refuses an admin route.
 */
export function Layout({ children }: { children: ReactNode }) {
  const session = useSession();
  const { logout } = useAuth();
  const me = useMe();
  const queryClient = useQueryClient();
  useEffect(
    () => onAdminRefused(() => void queryClient.invalidateQueries({ queryKey: queryKeys.me })),
    [queryClient],
  );
  const serverSaysAdmin = me.data && me.data.user_id === session.userId ? me.data.is_admin : undefined;
  useEffect(() => {
    if (serverSaysAdmin !== undefined) updateSession({ isAdmin: serverSaysAdmin });
  }, [serverSaysAdmin]);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="navbar">
        <div className="navbar-inner">
          <span className="brand">Tiergate</span>
          <nav aria-label="Main">
            <ul className="nav-links">
              <li>
                <NavLink to="/" end>
                  Files
                </NavLink>
              </li>
              <li>
                <NavLink to="/buckets">Buckets</NavLink>
              </li>
              <li>
                <NavLink to="/s3">S3 access</NavLink>
              </li>
              <li>
                <NavLink to="/tiering">Tiering</NavLink>
              </li>
              {session.isAdmin && (
                <li>
                  <NavLink to="/admin">Admin</NavLink>
                </li>
              )}
            </ul>
          </nav>
          <div className="navbar-user">
            <span className="navbar-email" title={session.email} data-testid="user-email">
              {session.email}
              {session.isAdmin && <span className="admin-tag">admin</span>}
            </span>
            <button type="button" className="button button-ghost" onClick={logout}>
              Log out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="page" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
