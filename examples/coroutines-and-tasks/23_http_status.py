# 2.4.3 asyncio中的流使用示例:异步HTTP状态码获取工具。
# 原文检查的是10个国内网站的 https://.../ 首页;为了能离线运行、输出固定,
# 这里由程序自己用 start_server 在本机启动两个很小的HTTP服务器:
# 一个普通的HTTP服务器,一个用自签名证书(openssl在临时目录里生成)的HTTPS服务器,
# 再加上一个已经关闭的端口(连接被拒绝),演示出错的情况。
# 端口都由系统挑选(端口0),所以URL写成模板(http://127.0.0.1:{http}/),
# 打印的是模板,输出就每次都一样。
import asyncio
import os
import ssl
import subprocess
import sys
import tempfile
from urllib.parse import urlsplit  # 导入 urlsplit 函数,用于解析 URL

# 各个服务器的端口,由 main() 在启动服务器之后填入:{'http': ..., 'https': ..., 'closed': ...}
PORTS = {}
# 客户端用的SSL上下文:信任我们自己的CA(原文的 ssl=True 用的是系统信任的CA)
CLIENT_SSL = None


# 定义一个异步函数,用于获取指定 URL 的 HTTP/S 状态
async def get_status(url):
    # 使用 urlsplit 解析 URL,将其分解为各个部分(例如:scheme, hostname, path)
    url_parsed = urlsplit(url)
    # 原文的 finally 里直接 writer.close():如果 open_connection 本身就失败了
    # (比如连接被拒绝),writer 还没有赋值,finally 会抛出 UnboundLocalError,
    # 它盖过了原来的异常,被 gather(return_exceptions=True) 当作结果返回,
    # 表格里就打印出这个异常而不是 Error。所以这里先把它们设为 None,关闭前检查一下。
    reader = writer = None
    try:
        # 根据 URL 的 scheme(协议)判断是 http 还是 https,选择相应的端口
        # (URL 里写了端口就用它,否则和原文一样用 443 或 80)
        if url_parsed.scheme == 'https':
            # 如果是 https 协议,连接到 443 端口,并启用 SSL 加密
            # (ssl=CLIENT_SSL:信任我们自己的CA;原文是 ssl=True)
            reader, writer = await asyncio.open_connection(
                url_parsed.hostname, url_parsed.port or 443, ssl=CLIENT_SSL)
        else:
            # 如果是 http 协议,连接到 80 端口
            reader, writer = await asyncio.open_connection(
                url_parsed.hostname, url_parsed.port or 80)

        # 构建 HTTP 请求报文:请求目标是 URL 的 path 部分,使用 HTTP/1.1 协议
        query = f'GET {url_parsed.path} HTTP/1.1\r\nHost: {url_parsed.hostname}\r\n\r\n'

        # 将请求报文写入连接,并使用 StreamWriter 将编码字节写入套接字。
        writer.write(query.encode())
        # 等待数据写入完成
        await writer.drain()

        # 从服务器读取一行响应数据(HTTP 状态行)
        response = await reader.readline()
        # 解码响应并去除多余的空白字符
        status = response.decode().strip()

        # 返回 HTTP 状态行(例如:"HTTP/1.1 200 OK")
        return status
    except Exception as e:
        # 如果请求过程中发生任何异常,捕获并输出错误信息
        # (原文打印 {url} 和 {e};这里打印URL的模板,和一个Python和Deno都一样的说法,见 describe)
        print(f"Error fetching {template_of(url)}: {describe(e)}")
        # 如果发生错误,返回 None
        return None
    finally:
        # 确保连接关闭(连接成功打开了才关闭)
        if writer is not None:
            writer.close()
            await writer.wait_closed()  # 等待连接完全关闭
            reader.feed_eof()  # 通知 reader 没有更多数据会到来


# 出错信息在Python和Deno里不一样:连接被拒绝,Python是
# "[Errno 111] Connect call failed ('127.0.0.1', 40123)",Deno是
# "Connection refused (os error 111)"。为了两边打印得一样,这里把异常类型换成一个通用的说法。
def describe(e):
    if isinstance(e, ConnectionRefusedError):
        return 'connection refused'
    if isinstance(e, ConnectionResetError):
        return 'connection reset'
    if isinstance(e, ssl.SSLError):
        return 'TLS error'
    return type(e).__name__


# 把URL里的真实端口换回模板里的名字:http://127.0.0.1:40123/ -> http://127.0.0.1:{http}/
def template_of(url):
    for name, port in PORTS.items():
        url = url.replace(f':{port}/', f':{{{name}}}/')
    return url


# 一个很小的HTTP服务器:处理一个客户端连接,回答一个 GET 请求
PAGES = {'/': '200 OK', '/about': '200 OK', '/old': '301 Moved Permanently'}


async def handle_http(reader, writer):
    # 请求行,例如 GET / HTTP/1.1
    request_line = (await reader.readline()).decode()
    # 读完请求头:请求头以一个空行结束
    while (await reader.readline()) not in (b'\r\n', b'\n', b''):
        pass
    method, path, version = request_line.split()
    # 认识的路径回答 PAGES 里的状态,其他的回答 404
    status = PAGES.get(path, '404 Not Found')
    body = f'{status}\n'.encode()
    writer.write(f'HTTP/1.1 {status}\r\n'
                 f'Content-Type: text/plain\r\n'
                 f'Content-Length: {len(body)}\r\n'
                 f'Connection: close\r\n\r\n'.encode() + body)
    await writer.drain()
    writer.close()
    try:
        await writer.wait_closed()
    except ConnectionError:
        # 客户端只读了状态行就关闭了连接,这里可能会收到连接重置,不用管
        pass


# 用 openssl 在 directory 里生成一个CA,和一个由它签发的 localhost/127.0.0.1 的证书,
# 返回 (CA证书, 服务器证书, 服务器私钥) 三个文件的路径。
# (一个自己给自己签名的服务器证书也行,但Deno用的rustls不接受CA证书当服务器证书,
# 两个程序用同样的做法;TypeScript 版在 _tls.ts 里)
def make_certificate(directory):
    new_key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
               '-nodes', '-days', '1']
    openssl(directory, 'req', '-x509', *new_key, '-subj', '/CN=asyncio example CA',
            '-keyout', 'ca.key', '-out', 'ca.pem')
    openssl(directory, 'req', '-x509', *new_key, '-subj', '/CN=localhost',
            '-CA', 'ca.pem', '-CAkey', 'ca.key',
            '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
            '-addext', 'basicConstraints=critical,CA:FALSE',
            '-addext', 'extendedKeyUsage=serverAuth',
            '-keyout', 'server.key', '-out', 'server.pem')
    return tuple(os.path.join(directory, name)
                 for name in ('ca.pem', 'server.pem', 'server.key'))


def openssl(directory, *args):
    try:
        subprocess.run(['openssl', *args], cwd=directory, check=True, capture_output=True)
    except FileNotFoundError:
        sys.exit('openssl is not installed: this example makes its TLS certificate '
                 'with it (apt-get install openssl)')


async def start(handler, ssl_context=None):
    server = await asyncio.start_server(handler, '127.0.0.1', 0, ssl=ssl_context)
    return server, server.sockets[0].getsockname()[1]


# 主协程,执行多个 URL 状态获取任务
async def main():
    global CLIENT_SSL
    # 临时目录放证书,程序结束时删除
    with tempfile.TemporaryDirectory() as directory:
        ca_file, cert_file, key_file = make_certificate(directory)
        server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ssl.load_cert_chain(cert_file, key_file)
        CLIENT_SSL = ssl.create_default_context(cafile=ca_file)

        # 启动HTTP服务器和HTTPS服务器;再启动一个服务器马上关掉,得到一个没人监听的端口
        http_server, PORTS['http'] = await start(handle_http)
        https_server, PORTS['https'] = await start(handle_http, server_ssl)
        closed_server, PORTS['closed'] = await start(handle_http)
        closed_server.close()
        await closed_server.wait_closed()

        # 定义一个包含多个 URL 的列表,表示我们需要检查的目标网站
        sites = [
            'http://127.0.0.1:{http}/',
            'http://127.0.0.1:{http}/about',
            'http://127.0.0.1:{http}/missing',
            'https://localhost:{https}/',
            'https://localhost:{https}/old',
            'https://localhost:{https}/missing',
            'http://127.0.0.1:{closed}/',
        ]

        # 为每个 URL 创建一个获取状态的异步任务
        tasks = [get_status(site.format(**PORTS)) for site in sites]

        # 使用 asyncio.gather 并发执行所有任务,返回所有任务的结果(包括异常)
        results = await asyncio.gather(*tasks, return_exceptions=True)

        # 遍历 URL 和对应的响应状态,输出结果
        # (原文的宽度是30,这里的URL模板更长一些,用34)
        for url, status in zip(sites, results):
            # 如果状态不为空,表示请求成功,输出 URL 和 HTTP 状态
            if status is not None:
                print(f'{url:34}:\t{status}')
            else:
                # 如果状态为 None,表示请求失败,输出错误信息
                print(f'{url:34}:\tError')

        for server in (http_server, https_server):
            server.close()
            await server.wait_closed()


# 运行主异步程序
asyncio.run(main())
