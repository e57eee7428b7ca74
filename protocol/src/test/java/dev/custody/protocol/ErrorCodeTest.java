package dev.custody.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.Arrays;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ErrorCodeTest {

    private static Properties released() throws Exception {
        Properties p = new Properties();
        try (InputStream in = ErrorCodeTest.class.getResourceAsStream("error-codes.properties")) {
            assertThat(in).as("error-codes.properties on the test classpath").isNotNull();
            p.load(in);
        }
        return p;
    }

    @Test
    void everyReleasedCode_keepsItsNameAndNumber() throws Exception {
        Properties table = released();
        for (String name : table.stringPropertyNames()) {
            int number = Integer.parseInt(table.getProperty(name));
            assertThat(ErrorCode.findByName(name))
                    .as("released code %s still exists", name)
                    .isPresent();
            assertThat(ErrorCode.valueOf(name).number())
                    .as("number of %s", name)
                    .isEqualTo(number);
            assertThat(ErrorCode.findByNumber(number)).as("code for %d", number).contains(ErrorCode.valueOf(name));
        }
    }

    @Test
    void everyCode_isInTheReleasedTable() throws Exception {
        Properties table = released();
        for (ErrorCode c : ErrorCode.values()) {
            assertThat(table.getProperty(c.name()))
                    .as("%s must be added to error-codes.properties", c)
                    .isEqualTo(Integer.toString(c.number()));
        }
    }

    @Test
    void numbers_areUnique() {
        Set<Integer> numbers =
                Arrays.stream(ErrorCode.values()).map(ErrorCode::number).collect(Collectors.toSet());
        assertThat(numbers).hasSize(ErrorCode.values().length);
    }

    @Test
    void designNames_arePresent() {
        assertThat(Arrays.stream(ErrorCode.values()).map(Enum::name))
                .contains(
                        "PIN_REQUIRED",
                        "PIN_INCORRECT",
                        "PIN_LOCKED",
                        "TOKEN_ABSENT",
                        "POLICY_DENIED",
                        "APPROVAL_REQUIRED",
                        "APPROVAL_DENIED",
                        "NOT_FOUND",
                        "SERVER_UNREACHABLE",
                        "METADATA_INVALID",
                        "CONFLICT",
                        "BAD_REQUEST",
                        "REQUEST_TOO_LARGE",
                        "METHOD_NOT_FOUND",
                        "BUSY",
                        "INTERNAL");
    }

    @Test
    void findByNumber_unknown_isEmpty() {
        assertThat(ErrorCode.findByNumber(42)).isEmpty();
        assertThat(ErrorCode.findByName("NOPE")).isEmpty();
    }
}
