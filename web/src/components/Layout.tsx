import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { useAuth, useSession } from '../auth/AuthContext';

/** The signed-in frame: skip link, navbar with the user's e-mail and logout, then the page. */
export function Layout({ children }: { children: ReactNode }) {
  const session = useSession();
  const { logout } = useAuth();
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
                <NavLink to="/s3">S3 access</NavLink>
              </li>
              <li>
                <NavLink to="/tiering">Tiering</NavLink>
              </li>
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
