import { defineProcessor } from 'sluice';

export interface Click {
  user: string;
  url: string;
  action: 'view' | 'click' | 'purchase';
  ts: number;
}

export interface PageClick {
  user: string;
  page: string;
  action: Click['action'];
  ts: number;
}

/**
 * Keeps the page path of the URL. A URL that does not parse throws, and the
 * runtime sends that record to the node's dead-letter topic.
 */
export default defineProcessor<Click, PageClick>((click) => {
  const { pathname } = new URL(click.url);
  return { user: click.user, page: pathname, action: click.action, ts: click.ts };
});
