/** A page that only says something: an error, the end of a device sign-in, a completed logout. */
import { Layout } from '../../web/layout';

export interface MessagePageProps {
  stylesheet: string;
  title: string;
  message: string;
  /** Shown as an alert (an error page) or as plain text. */
  error?: boolean;
}

export function MessagePage({ stylesheet, title, message, error = false }: MessagePageProps) {
  return (
    <Layout title={title} stylesheet={stylesheet}>
      <h1>{title}</h1>
      {error ? (
        <p class="alert" role="alert">
          {message}
        </p>
      ) : (
        <p>{message}</p>
      )}
    </Layout>
  );
}
