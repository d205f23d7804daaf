"""The web pages: GET / is the web folder's index.html, other files of that folder and its
subfolders by path with their type, Content-Length, ETag and 304; versioned libraries
(lib/name@1.2.3/) cached for a year, the rest revalidated; hidden files and folders, unknown types,
files missing, paths deeper than 8 segments and symlinks out of the folder are 404 naming the page,
`..` is 400; `[server] web` picks another folder."""
import os
import unittest

from server_support import Server
from server_support import curl as curl_url
from support import ROOT, TempDir


def curl(url, *args):
    return curl_url(url, "--path-as-is", *args)


class WebTest(unittest.TestCase):
    def test_the_default_page_is_the_source_trees_index(self):
        server = Server()
        try:
            base = f"http://127.0.0.1:{server.port}"
            with open(os.path.join(ROOT, "web", "index.html"), "rb") as f:
                page = f.read()
            status, headers, body = curl(base + "/")
            self.assertEqual((status, body), (200, page))
            self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
            self.assertEqual(int(headers["content-length"]), len(page))
            self.assertEqual(curl(base + "/index.html")[2], page)
            self.assertEqual(curl(base + "/", "-H", f"If-None-Match: {headers['etag']}")[0], 304)
            # The API keeps its paths: one-segment pages never shadow them.
            self.assertTrue(curl(base + "/metrics")[1]["content-type"].startswith("text/plain; version=0.0.4"))
        finally:
            server.stop_and_cleanup()

    def test_a_configured_folder_and_what_it_refuses(self):
        with TempDir() as d:
            web = os.path.join(d, "web")
            os.makedirs(web)
            with open(os.path.join(web, "index.html"), "w") as f:
                f.write("<p>mine</p>")
            with open(os.path.join(web, "app.js"), "w") as f:
                f.write("console.log(1);")
            with open(os.path.join(web, ".secret.html"), "w") as f:
                f.write("no")
            with open(os.path.join(web, "tool.sh"), "w") as f:
                f.write("no")
            with open(os.path.join(d, "outside.html"), "w") as f:
                f.write("no")
            os.symlink(os.path.join(d, "outside.html"), os.path.join(web, "link.html"))
            server = Server(config=f'[server]\nweb = "{web}"\n')
            try:
                base = f"http://127.0.0.1:{server.port}"
                self.assertEqual(curl(base + "/")[2], b"<p>mine</p>")
                status, headers, body = curl(base + "/app.js")
                self.assertEqual((status, headers["content-type"], body),
                                 (200, "text/javascript; charset=utf-8", b"console.log(1);"))
                for page in (".secret.html", "tool.sh", "link.html", "missing.html"):
                    with self.subTest(page):
                        status, _, body = curl(f"{base}/{page}")
                        self.assertEqual(status, 404)
                        self.assertIn(page.encode(), body)
                self.assertEqual(curl(base + "/../outside.html")[0], 400)
            finally:
                server.stop_and_cleanup()

    def test_subfolders_libraries_and_what_they_refuse(self):
        with TempDir() as d:
            web = os.path.join(d, "web")
            files = {"index.html": "<p>home</p>", "js/app.js": "export {};", "js/components/meter.js": "export {};",
                     "lib/uplot@1.6.31/dist/uPlot.esm.js": "export default 1;", ".git/config.json": "{}",
                     "js/.hidden.js": "no", "a/b/c/d/e/f/g/h/i.js": "deep"}
            for name, text in files.items():
                os.makedirs(os.path.dirname(os.path.join(web, name)), exist_ok=True)
                with open(os.path.join(web, name), "w") as f:
                    f.write(text)
            os.makedirs(os.path.join(d, "outside"))
            with open(os.path.join(d, "outside", "secret.js"), "w") as f:
                f.write("no")
            os.symlink(os.path.join(d, "outside"), os.path.join(web, "out"))
            server = Server(config=f'[server]\nweb = "{web}"\n')
            try:
                base = f"http://127.0.0.1:{server.port}"
                status, headers, body = curl(base + "/js/components/meter.js")
                self.assertEqual((status, headers["content-type"], body), (200, "text/javascript; charset=utf-8", b"export {};"))
                self.assertEqual(headers["cache-control"], "no-cache")
                self.assertEqual(curl(base + "/js/app.js", "-H", f"If-None-Match: {curl(base + '/js/app.js')[1]['etag']}")[0], 304)
                status, headers, body = curl(base + "/lib/uplot@1.6.31/dist/uPlot.esm.js")
                self.assertEqual((status, body), (200, b"export default 1;"))
                self.assertEqual(headers["cache-control"], "public, max-age=31536000, immutable")
                for page in (".git/config.json", "js/.hidden.js", "out/secret.js", "a/b/c/d/e/f/g/h/i.js", "js/missing.js", "js"):
                    with self.subTest(page):
                        status, _, body = curl(f"{base}/{page}")
                        self.assertEqual(status, 404)
                        self.assertIn(page.encode(), body)
                self.assertEqual(curl(base + "/js/../../outside/secret.js")[0], 400)
                self.assertEqual(curl(base + "/js/%2e%2e/index.html")[0], 400)
                # API paths keep their answers: the web route is the last one tried.
                self.assertEqual(curl(base + "/api/items/nothing/here")[0], 404)
                self.assertTrue(curl(base + "/api/status")[1]["content-type"].startswith("application/json"))
            finally:
                server.stop_and_cleanup()


if __name__ == "__main__":
    unittest.main()
