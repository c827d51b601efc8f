// 2.4.3 asyncio中的流使用示例:异步HTTP状态码获取工具。
// 原文检查的是10个国内网站的 https://.../ 首页;为了能离线运行、输出固定,
// 这里由程序自己用 startServer 在本机启动两个很小的HTTP服务器:
// 一个普通的HTTP服务器,一个用自签名证书(openssl在临时目录里生成)的HTTPS服务器,
// 再加上一个已经关闭的端口(连接被拒绝),演示出错的情况。
// 端口都由系统挑选(端口0),所以URL写成模板(http://127.0.0.1:{http}/),
// 打印的是模板,输出就每次都一样。
import {
  gather,
  openConnection,
  run,
  type Server,
  type ServerTls,
  startServer,
  type StreamReader,
  type StreamWriter,
} from "../../mod.ts";
import { print } from "../_print.ts";
import { makeCertificate } from "../_tls.ts";

// 各个服务器的端口,由 main() 在启动服务器之后填入:{ http: ..., https: ..., closed: ... }
const PORTS: Record<string, number> = {};
// 客户端的TLS设置:信任我们自己的CA(原文的 ssl=True 用的是系统信任的CA)
let CLIENT_SSL: { caCerts: string[] } = { caCerts: [] };

// 定义一个异步函数,用于获取指定 URL 的 HTTP/S 状态
async function getStatus(url: string): Promise<string | null> {
  // 使用 URL 解析 url(Python的 urlsplit),将其分解为各个部分(例如:protocol, hostname, pathname)
  const urlParsed = new URL(url);
  // 原文的 finally 里直接 writer.close():如果 open_connection 本身就失败了
  // (比如连接被拒绝),writer 还没有赋值,finally 会抛出 UnboundLocalError,
  // 它盖过了原来的异常,被 gather(return_exceptions=True) 当作结果返回,
  // 表格里就打印出这个异常而不是 Error。所以这里先把它们设为 null,关闭前检查一下
  // (TypeScript 也不允许使用可能还没赋值的变量)。
  let reader: StreamReader | null = null;
  let writer: StreamWriter | null = null;
  try {
    // 根据 URL 的 scheme(协议)判断是 http 还是 https,选择相应的端口
    // (URL 里写了端口就用它,否则和原文一样用 443 或 80)
    if (urlParsed.protocol === "https:") {
      // 如果是 https 协议,连接到 443 端口,并启用 SSL 加密
      // (ssl: CLIENT_SSL:信任我们自己的CA;原文是 ssl=True)
      [reader, writer] = await openConnection(
        urlParsed.hostname,
        Number(urlParsed.port) || 443,
        { ssl: CLIENT_SSL },
      );
    } else {
      // 如果是 http 协议,连接到 80 端口
      [reader, writer] = await openConnection(
        urlParsed.hostname,
        Number(urlParsed.port) || 80,
      );
    }

    // 构建 HTTP 请求报文:请求目标是 URL 的 path 部分,使用 HTTP/1.1 协议
    const query =
      `GET ${urlParsed.pathname} HTTP/1.1\r\nHost: ${urlParsed.hostname}\r\n\r\n`;

    // 将请求报文写入连接,并使用 StreamWriter 将编码字节写入套接字。
    // (字符串按UTF-8编码发送,相当于 query.encode())
    writer.write(query);
    // 等待数据写入完成
    await writer.drain();

    // 从服务器读取一行响应数据(HTTP 状态行)
    const response = await reader.readline();
    // 解码响应并去除多余的空白字符
    const status = new TextDecoder().decode(response).trim();

    // 返回 HTTP 状态行(例如:"HTTP/1.1 200 OK")
    return status;
  } catch (e) {
    // 如果请求过程中发生任何异常,捕获并输出错误信息
    // (原文打印 {url} 和 {e};这里打印URL的模板,和一个Python和Deno都一样的说法,见 describe)
    print(`Error fetching ${templateOf(url)}: ${describe(e)}`);
    // 如果发生错误,返回 null(Python的 None)
    return null;
  } finally {
    // 确保连接关闭(连接成功打开了才关闭)
    if (writer !== null) {
      writer.close();
      await writer.waitClosed(); // 等待连接完全关闭
      reader!.feedEof(); // 通知 reader 没有更多数据会到来
    }
  }
}

// 出错信息在Python和Deno里不一样:连接被拒绝,Python是
// "[Errno 111] Connect call failed ('127.0.0.1', 40123)",Deno是
// "Connection refused (os error 111)"。为了两边打印得一样,这里把异常类型换成一个通用的说法。
// (Deno的TLS错误,比如证书验证失败,是 Deno.errors.InvalidData,对应Python的 ssl.SSLError)
function describe(e: unknown): string {
  if (e instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (e instanceof Deno.errors.ConnectionReset) return "connection reset";
  if (e instanceof Deno.errors.InvalidData) return "TLS error";
  return e instanceof Error ? e.name : String(e);
}

// 把URL里的真实端口换回模板里的名字:http://127.0.0.1:40123/ -> http://127.0.0.1:{http}/
function templateOf(url: string): string {
  for (const [name, port] of Object.entries(PORTS)) {
    url = url.replaceAll(`:${port}/`, `:{${name}}/`);
  }
  return url;
}

// 一个很小的HTTP服务器:处理一个客户端连接,回答一个 GET 请求
const PAGES: Record<string, string> = {
  "/": "200 OK",
  "/about": "200 OK",
  "/old": "301 Moved Permanently",
};

async function handleHttp(reader: StreamReader, writer: StreamWriter) {
  const decoder = new TextDecoder();
  // 请求行,例如 GET / HTTP/1.1
  const requestLine = decoder.decode(await reader.readline());
  // 读完请求头:请求头以一个空行结束
  while (
    !["\r\n", "\n", ""].includes(decoder.decode(await reader.readline()))
  ) {
    // 跳过
  }
  const [_method, path, _version] = requestLine.trim().split(/\s+/);
  // 认识的路径回答 PAGES 里的状态,其他的回答 404
  const status = PAGES[path] ?? "404 Not Found";
  const body = new TextEncoder().encode(`${status}\n`);
  writer.write(
    `HTTP/1.1 ${status}\r\n` +
      `Content-Type: text/plain\r\n` +
      `Content-Length: ${body.length}\r\n` +
      `Connection: close\r\n\r\n`,
  );
  writer.write(body);
  await writer.drain();
  writer.close();
  try {
    await writer.waitClosed();
  } catch (e) {
    // 客户端只读了状态行就关闭了连接,这里可能会收到连接重置,不用管
    // (Python的 ConnectionError;现在的 waitClosed 在连接出错时也正常返回,
    // 不像 Python 的 wait_closed 那样抛出这个错误)
    if (
      !(e instanceof Deno.errors.ConnectionReset ||
        e instanceof Deno.errors.BrokenPipe)
    ) throw e;
  }
}

async function start(
  handler: typeof handleHttp,
  ssl: ServerTls | null = null,
): Promise<[Server, number]> {
  const server = await startServer(handler, "127.0.0.1", 0, { ssl });
  return [server, (server.sockets[0].getsockname() as [string, number])[1]];
}

// 主协程,执行多个 URL 状态获取任务
async function main() {
  // 临时目录放证书(用 openssl 生成,见 _tls.ts),程序结束时删除
  await using certificate = await makeCertificate();
  const serverSsl = { cert: certificate.cert, key: certificate.key };
  CLIENT_SSL = { caCerts: [certificate.ca] };

  // 启动HTTP服务器和HTTPS服务器;再启动一个服务器马上关掉,得到一个没人监听的端口
  let httpServer: Server, httpsServer: Server, closedServer: Server;
  [httpServer, PORTS.http] = await start(handleHttp);
  [httpsServer, PORTS.https] = await start(handleHttp, serverSsl);
  [closedServer, PORTS.closed] = await start(handleHttp);
  closedServer.close();
  await closedServer.waitClosed();

  // 定义一个包含多个 URL 的列表,表示我们需要检查的目标网站
  const sites = [
    "http://127.0.0.1:{http}/",
    "http://127.0.0.1:{http}/about",
    "http://127.0.0.1:{http}/missing",
    "https://localhost:{https}/",
    "https://localhost:{https}/old",
    "https://localhost:{https}/missing",
    "http://127.0.0.1:{closed}/",
  ];

  // 为每个 URL 创建一个获取状态的异步任务
  // (Python的 site.format(**PORTS):把 {http} 这样的名字换成端口)
  const tasks = sites.map((site) => () =>
    getStatus(site.replace(/\{(\w+)\}/, (_m, name) => String(PORTS[name])))
  );

  // 使用 gather 并发执行所有任务,返回所有任务的结果(包括异常)
  const results = await gather(...tasks, { returnExceptions: true });

  // 遍历 URL 和对应的响应状态,输出结果
  // (原文的宽度是30,这里的URL模板更长一些,用34)
  for (const [i, url] of sites.entries()) {
    const status = results[i];
    // 如果状态不为空,表示请求成功,输出 URL 和 HTTP 状态
    if (status !== null) {
      print(`${url.padEnd(34)}:\t${status}`);
    } else {
      // 如果状态为 null,表示请求失败,输出错误信息
      print(`${url.padEnd(34)}:\tError`);
    }
  }

  for (const server of [httpServer, httpsServer]) {
    server.close();
    await server.waitClosed();
  }
}

// 运行主异步程序
await run(main);
