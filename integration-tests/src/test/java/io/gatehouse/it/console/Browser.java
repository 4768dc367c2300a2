package io.gatehouse.it.console;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.UUID;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** Debian's headless Chromium through its chromedriver, one profile per instance; screenshots under target. */
final class Browser implements AutoCloseable {

    static final String MISSING = "the console browser tests need Debian's chromium and chromium-driver (apt-get"
            + " install -y chromium chromium-driver; .ci/run installs them)";

    private final ChromeDriver driver;

    Browser(Path profiles) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(onPath("chromium").toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000", "--user-data-dir=" + profiles.resolve("chrome-" + UUID.randomUUID()));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(onPath("chromedriver").toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
    }

    static boolean available() {
        return onPath("chromium") != null && onPath("chromedriver") != null;
    }

    ChromeDriver driver() {
        return driver;
    }

    void open(String url) {
        driver.get(url);
    }

    WebDriverWait await() {
        return new WebDriverWait(driver, Duration.ofSeconds(30));
    }

    void screenshot(String name) throws Exception {
        Path dir = Files.createDirectories(Path.of(System.getProperty("gatehouse.screenshots.dir",
                "target/console-screenshots")));
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), dir.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    static Path onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    @Override
    public void close() {
        driver.quit();
    }
}
