/** Ready-to-paste client setups for the gateway: path-style addressing, our endpoint and region. */

export interface SnippetCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  endpoint: string;
  region: string;
  bucket: string;
}

export interface Snippet {
  id: 'aws-cli' | 'rclone' | 'boto3';
  title: string;
  language: string;
  code: string;
}

function trimEndpoint(endpoint: string): string {
  return endpoint.replace(/\/+$/, '');
}

export function buildSnippets(c: SnippetCredentials): Snippet[] {
  const endpoint = trimEndpoint(c.endpoint);
  return [
    {
      id: 'aws-cli',
      title: 'aws-cli',
      language: 'shell',
      code: [
        `aws configure set aws_access_key_id ${c.accessKeyId} --profile tiergate`,
        `aws configure set aws_secret_access_key ${c.secretAccessKey} --profile tiergate`,
        `aws configure set region ${c.region} --profile tiergate`,
        `aws configure set s3.addressing_style path --profile tiergate`,
        `aws configure set s3.signature_version s3v4 --profile tiergate`,
        ``,
        `aws --profile tiergate --endpoint-url ${endpoint} s3 ls s3://${c.bucket}/`,
        `aws --profile tiergate --endpoint-url ${endpoint} s3 cp ./photo.jpg s3://${c.bucket}/photo.jpg`,
      ].join('\n'),
    },
    {
      id: 'rclone',
      title: 'rclone',
      language: 'ini',
      code: [
        `# ~/.config/rclone/rclone.conf`,
        `[tiergate]`,
        `type = s3`,
        `provider = Other`,
        `access_key_id = ${c.accessKeyId}`,
        `secret_access_key = ${c.secretAccessKey}`,
        `endpoint = ${endpoint}`,
        `region = ${c.region}`,
        `force_path_style = true`,
        ``,
        `# then: rclone ls tiergate:${c.bucket}`,
      ].join('\n'),
    },
    {
      id: 'boto3',
      title: 'boto3',
      language: 'python',
      code: [
        `import boto3`,
        `from botocore.config import Config`,
        ``,
        `s3 = boto3.client(`,
        `    "s3",`,
        `    endpoint_url="${endpoint}",`,
        `    aws_access_key_id="${c.accessKeyId}",`,
        `    aws_secret_access_key="${c.secretAccessKey}",`,
        `    region_name="${c.region}",`,
        `    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),`,
        `)`,
        `s3.upload_file("photo.jpg", "${c.bucket}", "photo.jpg")`,
        `for obj in s3.list_objects_v2(Bucket="${c.bucket}").get("Contents", []):`,
        `    print(obj["Key"], obj["Size"])`,
      ].join('\n'),
    },
  ];
}
