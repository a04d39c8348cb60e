import { Api } from 'telegram';

/**
 * A photo or document Telegram already has, as media to send again by reference: how an uploaded
 * album file goes into `messages.sendMultiMedia`, and how the bot passes on a file sent to it,
 * without a byte downloaded or uploaded.
 */
export function mediaReference(media: Api.Photo | Api.Document): Api.TypeInputMedia {
  const { id, accessHash, fileReference } = media;
  return media instanceof Api.Photo
    ? new Api.InputMediaPhoto({ id: new Api.InputPhoto({ id, accessHash, fileReference }) })
    : new Api.InputMediaDocument({ id: new Api.InputDocument({ id, accessHash, fileReference }) });
}
